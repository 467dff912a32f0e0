//! Narrow views of the [`Store`], one per concern, for the services that need
//! only that concern: a view is a clone of the store (one shared pool) that
//! lets its holder reach its concern's methods and nothing else. The methods
//! live on `Store`, in the concern's file; a view forwards to them.

use crate::{
    CodeVersion, NewVersion, NotFoundList, Result, SecretAccess, SecretAction, Store, Toplevel, Trace, TraceFilter,
    TraceLogs, TraceSummary,
};

/// Declares a view and the `Store` methods it forwards, by signature.
macro_rules! view {
    (
        $(#[$doc:meta])*
        $view:ident = $getter:ident {
            $( fn $method:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty; )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $view(Store);

        impl $view {
            $(
                pub async fn $method(&self $(, $arg: $ty)*) -> $ret {
                    self.0.$method($($arg),*).await
                }
            )*
        }

        impl Store {
            $(#[$doc])*
            pub fn $getter(&self) -> $view {
                $view(self.clone())
            }
        }
    };
}

view! {
    /// The code history: what saving, pushing and rolling back need.
    CodeStore = code {
        fn append_versions(&self, canvas: &str, versions: Vec<NewVersion>, based_on: i64) -> Result<Vec<CodeVersion>>;
        fn toplevels(&self, canvas: &str) -> Result<Vec<Toplevel>>;
        fn history(&self, canvas: &str, toplevel_id: i64) -> Result<Vec<CodeVersion>>;
        fn version(&self, canvas: &str, version_id: i64) -> Result<Option<CodeVersion>>;
        fn code_at(&self, canvas: &str, version_id: i64) -> Result<Vec<CodeVersion>>;
        fn latest_version_id(&self, canvas: &str) -> Result<i64>;
    }
}

view! {
    /// Stored traces to read and delete, and the 404 list: what the editor
    /// and replays need (writing goes through the `TraceWriter`).
    TraceStore = trace_store {
        fn trace(&self, canvas: &str, id: &str) -> Result<Option<Trace>>;
        fn traces(&self, canvas: &str, filter: &TraceFilter) -> Result<Vec<TraceSummary>>;
        fn recent_logs(&self, canvas: &str, limit: u32) -> Result<Vec<TraceLogs>>;
        fn count_traces(&self, canvas: &str, handler_key: Option<&str>) -> Result<i64>;
        fn delete_trace(&self, canvas: &str, id: &str) -> Result<bool>;
        fn not_found_list(&self, canvas: &str) -> Result<NotFoundList>;
        fn rekey_traces(&self, canvas: &str, from_key: &str, to_key: &str) -> Result<u64>;
    }
}

view! {
    /// Datastore rows: what the `DB` effects need.
    DataStore = data {
        fn db_get(&self, canvas: &str, datastore: &str, key: &str) -> Result<Option<String>>;
        fn db_set(&self, canvas: &str, datastore: &str, key: &str, value: &str) -> Result<()>;
        fn db_delete(&self, canvas: &str, datastore: &str, key: &str) -> Result<bool>;
        fn db_rows(&self, canvas: &str, datastore: &str) -> Result<Vec<(String, String)>>;
    }
}

view! {
    /// Canvas secrets and their audit log: what the `Secret` effects and the
    /// secrets routes need.
    SecretStore = secrets {
        fn set_secret(&self, canvas: &str, name: &str, value: &str) -> Result<()>;
        fn delete_secret(&self, canvas: &str, name: &str) -> Result<bool>;
        fn secret_names(&self, canvas: &str) -> Result<Vec<String>>;
        fn secret(&self, canvas: &str, name: &str) -> Result<Option<String>>;
        fn audit_secret(&self, canvas: &str, name: &str, action: SecretAction, client: Option<&str>) -> Result<()>;
        fn secret_audit(&self, canvas: &str) -> Result<Vec<SecretAccess>>;
    }
}
