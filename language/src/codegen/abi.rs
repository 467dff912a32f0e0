//! What a compiled program imports: the guest runtime's functions (module
//! `gloam`, implemented in `runtime/guest/src/sandbox.rs`) and, from the host,
//! the base of its slots in the shared function table.
//!
//! The function imports come first, in this order, so `Rt::X as u32` is the
//! function index of `X` in every compiled module.

use wasm_encoder::ValType;

/// The guest runtime's module name.
pub const RUNTIME: &str = "gloam";
/// The guest's memory and function table, as its exports name them.
pub const MEMORY: &str = "memory";
pub const TABLE: &str = "__indirect_function_table";
/// Where the host tells the program its first table slot (`host.table_base`).
pub const HOST: &str = "host";
pub const TABLE_BASE: &str = "table_base";

/// Byte offsets in the guest's counters (see `Counters` in the guest).
pub const REMAINING_STEPS: u64 = 0;
pub const DEPTH: u64 = 8;
pub const MAX_DEPTH: u64 = 12;

/// Failure kinds of `rt_fail`.
pub mod fail {
    pub const INT_OVERFLOW: i32 = 0;
    pub const NEGATE_OVERFLOW: i32 = 1;
    pub const DIVISION_BY_ZERO: i32 = 2;
    pub const NON_FINITE_FLOAT: i32 = 3;
    pub const STEP_LIMIT: i32 = 4;
    pub const RECURSION_LIMIT: i32 = 5;
    pub const NO_MATCH: i32 = 6;
    pub const BROKEN_CODE: i32 = 7;
    /// `a / b` of Floats with `b` zero; `a` and `b` are their bits.
    pub const FLOAT_DIVISION_BY_ZERO: i32 = 8;
}

macro_rules! runtime_functions {
    ($($variant:ident = $name:literal ($($param:ident),*) -> ($($result:ident),*);)*) => {
        /// A function of the guest runtime.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Rt { $($variant),* }

        impl Rt {
            pub const ALL: &'static [Rt] = &[$(Rt::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Rt::$variant => $name),* }
            }

            pub fn params(self) -> &'static [ValType] {
                match self { $(Rt::$variant => &[$(ValType::$param),*]),* }
            }

            pub fn results(self) -> &'static [ValType] {
                match self { $(Rt::$variant => &[$(ValType::$result),*]),* }
            }
        }
    };
}

runtime_functions! {
    Counters = "rt_counters" () -> (I32);
    Alloc = "rt_alloc" (I32) -> (I32);
    Int = "rt_int" (I64) -> (I32);
    Float = "rt_float" (F64) -> (I32);
    Bool = "rt_bool" (I32) -> (I32);
    Char = "rt_char" (I32) -> (I32);
    Unit = "rt_unit" () -> (I32);
    String = "rt_string" (I32, I32) -> (I32);
    AsInt = "rt_as_int" (I32) -> (I64);
    AsFloat = "rt_as_float" (I32) -> (F64);
    AsBool = "rt_as_bool" (I32) -> (I32);
    Push = "rt_push" (I32) -> ();
    PushInt = "rt_push_int" (I64) -> ();
    PushFloat = "rt_push_float" (F64) -> ();
    PushBool = "rt_push_bool" (I32) -> ();
    Pop = "rt_pop" () -> (I32);
    PopInt = "rt_pop_int" () -> (I64);
    PopFloat = "rt_pop_float" () -> (F64);
    PopBool = "rt_pop_bool" () -> (I32);
    StackHeight = "rt_stack_height" () -> (I32);
    StackTruncate = "rt_stack_truncate" (I32) -> ();
    List = "rt_list" (I32) -> (I32);
    Dict = "rt_dict" (I32) -> (I32);
    Record = "rt_record" (I32, I32) -> (I32);
    Variant = "rt_variant" (I32, I32, I32) -> (I32);
    Interpolate = "rt_interpolate" (I32) -> (I32);
    Field = "rt_field" (I32, I32) -> (I32);
    Update = "rt_update" (I32, I32) -> (I32);
    IsCase = "rt_is_case" (I32, I32) -> (I32);
    Payload = "rt_payload" (I32, I32) -> (I32);
    ListLen = "rt_list_len" (I32) -> (I32);
    ListItem = "rt_list_item" (I32, I32) -> (I32);
    ListRest = "rt_list_rest" (I32, I32) -> (I32);
    Equal = "rt_equal" (I32, I32) -> (I32);
    Binary = "rt_binary" (I32, I32, I32, I32) -> (I32);
    Unary = "rt_unary" (I32, I32, I32) -> (I32);
    IntMul = "rt_int_mul" (I64, I64, I32) -> (I64);
    Fail = "rt_fail" (I32, I32, I32, I64, I64) -> ();
    Closure = "rt_closure" (I32, I32, I32) -> (I32);
    Captured = "rt_captured" (I32, I32) -> (I32);
    BuiltinValue = "rt_builtin_value" (I32) -> (I32);
    ConstructorValue = "rt_constructor_value" (I32, I32, I32) -> (I32);
    Datastore = "rt_datastore" (I32) -> (I32);
    Worker = "rt_worker" (I32) -> (I32);
    Call = "rt_call" (I32, I32, I32, I32) -> (I32);
    Builtin = "rt_builtin" (I32, I32, I32, I32) -> (I32);
    TryKind = "rt_try_kind" (I32) -> (I32);
    TryResponse = "rt_try_response" (I32) -> (I32);
}
