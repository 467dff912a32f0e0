//! The standard library, specified once: every function's name, type and
//! documentation. The checker takes types from here; evaluators match on
//! [`Builtin`] exhaustively, so a function cannot be added without an
//! implementation; `docs/stdlib.md` is generated from this table.

use crate::types::ty::{Scheme, parse_signature};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Whether a function is pure (runs inside the sandbox) or an effect (a host call
/// whose arguments and result are recorded in the trace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purity {
    Pure,
    Effect,
}

/// What an effect does beyond answering, as the runtime's trace and replay
/// policy needs it (the columns in brackets in the table below). Pure
/// functions have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EffectTraits {
    /// Changes state (a row, a queue): skipped, answering `()`, while analysing.
    pub writes: bool,
    /// Calls out over the network: refused while analysing unless recorded.
    pub calls_out: bool,
    /// Performed again on replay instead of answered from the trace (its
    /// answer is not recorded, or the replay must capture it again).
    pub replays_live: bool,
    /// Returns or uses secret values: they are cut out of its answer's
    /// errors and out of everything the run stores.
    pub secret: bool,
    /// A log line: kept in the trace's logs, not among its effects.
    pub log: bool,
}

macro_rules! builtins {
    (
        pure { $( $family:ident { $( $pure:ident = $pure_name:literal : $pure_signature:literal, $pure_doc:literal; )* } )* }
        effect { $( $([$($traits:ident),*])? $effect:ident = $effect_name:literal : $effect_signature:literal, $effect_doc:literal; )* }
    ) => {
        /// A standard library function.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Builtin { $($($pure,)*)* $($effect,)* }

        /// A pure function: what evaluators implement themselves (effects go
        /// to the host). Matching on it names every pure function and no effect.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum PureBuiltin { $($($pure,)*)* }

        /// The group of pure functions one evaluator module implements
        /// (the table's sections).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum PureFamily { $($family,)* }

        impl PureBuiltin {
            /// The family that implements the function.
            pub fn family(self) -> PureFamily {
                match self { $($(PureBuiltin::$pure => PureFamily::$family,)*)* }
            }
        }

        impl Builtin {
            pub const ALL: &'static [Builtin] = &[$($(Builtin::$pure,)*)* $(Builtin::$effect,)*];

            /// The qualified name, e.g. `String.length`.
            pub fn name(self) -> &'static str {
                match self { $($(Builtin::$pure => $pure_name,)*)* $(Builtin::$effect => $effect_name,)* }
            }

            /// The type, in source syntax.
            pub fn signature(self) -> &'static str {
                match self { $($(Builtin::$pure => $pure_signature,)*)* $(Builtin::$effect => $effect_signature,)* }
            }

            pub fn doc(self) -> &'static str {
                match self { $($(Builtin::$pure => $pure_doc,)*)* $(Builtin::$effect => $effect_doc,)* }
            }

            /// The pure function this is, `None` for an effect.
            pub fn pure(self) -> Option<PureBuiltin> {
                match self { $($(Builtin::$pure => Some(PureBuiltin::$pure),)*)* $(Builtin::$effect => None,)* }
            }

            pub fn purity(self) -> Purity {
                match self.pure() {
                    Some(_) => Purity::Pure,
                    None => Purity::Effect,
                }
            }

            /// What the effect does beyond answering (nothing for a pure function).
            pub fn traits(self) -> EffectTraits {
                match self {
                    $($(Builtin::$pure => EffectTraits::default(),)*)*
                    $(Builtin::$effect => EffectTraits { $($($traits: true,)*)? ..EffectTraits::default() },)*
                }
            }
        }
    };
}

// Pure functions are grouped by the interpreter module that implements them
// (`interpreter/src/builtins/<family>.rs`); effects are performed by the host.
builtins! {
    pure {
        String {
            StringLength = "String.length" : "fn(String) -> Int", "Number of characters (Unicode scalar values).";
            StringIsEmpty = "String.isEmpty" : "fn(String) -> Bool", "True when the string has no characters.";
            StringToUpper = "String.toUpper" : "fn(String) -> String", "Upper-cases every character.";
            StringToLower = "String.toLower" : "fn(String) -> String", "Lower-cases every character.";
            StringTrim = "String.trim" : "fn(String) -> String", "Removes leading and trailing whitespace.";
            StringContains = "String.contains" : "fn(String, String) -> Bool", "`String.contains(s, part)`: whether `part` occurs in `s`.";
            StringStartsWith = "String.startsWith" : "fn(String, String) -> Bool", "`String.startsWith(s, prefix)`.";
            StringEndsWith = "String.endsWith" : "fn(String, String) -> Bool", "`String.endsWith(s, suffix)`.";
            StringSplit = "String.split" : "fn(String, String) -> List<String>", "`String.split(s, separator)`; an empty separator splits into characters.";
            StringJoin = "String.join" : "fn(List<String>, String) -> String", "`String.join(parts, separator)`.";
            StringReplace = "String.replace" : "fn(String, String, String) -> String", "`String.replace(s, from, to)` replaces every occurrence; `from` must not be empty.";
            StringSlice = "String.slice" : "fn(String, Int, Int) -> String", "`String.slice(s, start, end)`: characters `start` (inclusive) to `end` (exclusive), clamped to the string.";
            StringReverse = "String.reverse" : "fn(String) -> String", "The characters in reverse order.";
            StringRepeat = "String.repeat" : "fn(String, Int) -> String", "`String.repeat(s, n)`: `s` repeated `n` times; a negative `n` is an error.";
            StringIndexOf = "String.indexOf" : "fn(String, String) -> Option<Int>", "Character index of the first occurrence of a part, if any.";
            StringToChars = "String.toChars" : "fn(String) -> List<Char>", "The characters of a string.";
            StringFromChars = "String.fromChars" : "fn(List<Char>) -> String", "A string made of characters.";
            StringFromChar = "String.fromChar" : "fn(Char) -> String", "A one-character string.";
            StringLines = "String.lines" : "fn(String) -> List<String>", "Splits on `\\n` (a trailing `\\r` is removed from each line).";
            StringPadLeft = "String.padLeft" : "fn(String, Int, Char) -> String", "`String.padLeft(s, width, c)` prepends `c` until `s` has `width` characters.";
        }

        Int {
            IntParse = "Int.parse" : "fn(String) -> Result<Int, String>", "Parses a decimal integer with an optional sign; surrounding whitespace is not allowed.";
            IntToString = "Int.toString" : "fn(Int) -> String", "Decimal representation.";
            IntToFloat = "Int.toFloat" : "fn(Int) -> Float", "The nearest Float.";
            IntAbs = "Int.abs" : "fn(Int) -> Int", "Absolute value; overflows (an error) for the smallest Int.";
            IntMin = "Int.min" : "fn(Int, Int) -> Int", "The smaller of two Ints.";
            IntMax = "Int.max" : "fn(Int, Int) -> Int", "The larger of two Ints.";
            IntClamp = "Int.clamp" : "fn(Int, Int, Int) -> Int", "`Int.clamp(n, low, high)`.";
            IntPow = "Int.pow" : "fn(Int, Int) -> Int", "`Int.pow(base, exponent)`; a negative exponent or an overflow is an error.";
            IntIsEven = "Int.isEven" : "fn(Int) -> Bool", "Whether the Int is divisible by 2.";
        }

        Float {
            FloatParse = "Float.parse" : "fn(String) -> Result<Float, String>", "Parses a decimal number such as `3.14` or `1e3`.";
            FloatToString = "Float.toString" : "fn(Float) -> String", "Shortest representation that reads back as the same Float; always has a `.`.";
            FloatRound = "Float.round" : "fn(Float) -> Int", "Nearest Int, halves away from zero; NaN or out of range is an error.";
            FloatFloor = "Float.floor" : "fn(Float) -> Int", "Largest Int not above the Float.";
            FloatCeiling = "Float.ceiling" : "fn(Float) -> Int", "Smallest Int not below the Float.";
            FloatTruncate = "Float.truncate" : "fn(Float) -> Int", "Drops the fractional part.";
            FloatSqrt = "Float.sqrt" : "fn(Float) -> Float", "Square root; negative input is an error.";
            FloatAbs = "Float.abs" : "fn(Float) -> Float", "Absolute value.";
            FloatMin = "Float.min" : "fn(Float, Float) -> Float", "The smaller of two Floats.";
            FloatMax = "Float.max" : "fn(Float, Float) -> Float", "The larger of two Floats.";
            FloatPow = "Float.pow" : "fn(Float, Float) -> Float", "`Float.pow(base, exponent)`; a non-finite result is an error.";
        }

        // Bool and Char
        Char {
            BoolToString = "Bool.toString" : "fn(Bool) -> String", "`\"true\"` or `\"false\"`.";
            CharToString = "Char.toString" : "fn(Char) -> String", "A one-character string.";
            CharToCode = "Char.toCode" : "fn(Char) -> Int", "The Unicode code point.";
            CharFromCode = "Char.fromCode" : "fn(Int) -> Option<Char>", "The character with a code point, if it is one.";
            CharIsDigit = "Char.isDigit" : "fn(Char) -> Bool", "ASCII `0`–`9`.";
            CharIsLetter = "Char.isLetter" : "fn(Char) -> Bool", "Alphabetic (Unicode).";
            CharIsWhitespace = "Char.isWhitespace" : "fn(Char) -> Bool", "Whitespace (Unicode).";
            CharToUpper = "Char.toUpper" : "fn(Char) -> Char", "Upper case, when it is a single character.";
            CharToLower = "Char.toLower" : "fn(Char) -> Char", "Lower case, when it is a single character.";
        }

        List {
            ListLength = "List.length" : "fn(List<a>) -> Int", "Number of elements.";
            ListIsEmpty = "List.isEmpty" : "fn(List<a>) -> Bool", "True for `[]`.";
            ListHead = "List.head" : "fn(List<a>) -> Option<a>", "The first element, if any.";
            ListTail = "List.tail" : "fn(List<a>) -> Option<List<a>>", "All but the first element, if the list is not empty.";
            ListLast = "List.last" : "fn(List<a>) -> Option<a>", "The last element, if any.";
            ListGet = "List.get" : "fn(List<a>, Int) -> Option<a>", "`List.get(list, index)`, zero-based.";
            ListPush = "List.push" : "fn(List<a>, a) -> List<a>", "Appends one element at the end.";
            ListAppend = "List.append" : "fn(List<a>, List<a>) -> List<a>", "The first list followed by the second (same as `++`).";
            ListConcat = "List.concat" : "fn(List<List<a>>) -> List<a>", "Flattens one level.";
            ListMap = "List.map" : "fn(List<a>, fn(a) -> b) -> List<b>", "Applies a function to every element.";
            ListMapWithIndex = "List.mapWithIndex" : "fn(List<a>, fn(Int, a) -> b) -> List<b>", "Like `List.map`, also passing the zero-based index.";
            ListFilter = "List.filter" : "fn(List<a>, fn(a) -> Bool) -> List<a>", "The elements for which the function is true.";
            ListFilterMap = "List.filterMap" : "fn(List<a>, fn(a) -> Option<b>) -> List<b>", "Maps and keeps the `Some` results.";
            ListFold = "List.fold" : "fn(List<a>, b, fn(b, a) -> b) -> b", "`List.fold(list, initial, \\acc, x -> ...)`, from the first element.";
            ListReverse = "List.reverse" : "fn(List<a>) -> List<a>", "The elements in reverse order.";
            ListSort = "List.sort" : "fn(List<comparable>) -> List<comparable>", "Sorted ascending (stable).";
            ListSortBy = "List.sortBy" : "fn(List<a>, fn(a) -> comparable) -> List<a>", "Sorted ascending by a key (stable).";
            ListRange = "List.range" : "fn(Int, Int) -> List<Int>", "`List.range(low, high)`: the Ints from `low` to `high`, both included; empty when `low > high`. At most 10,000,000 elements.";
            ListContains = "List.contains" : "fn(List<equatable>, equatable) -> Bool", "Whether an element equal to the value is in the list.";
            ListAny = "List.any" : "fn(List<a>, fn(a) -> Bool) -> Bool", "Whether the function is true for some element.";
            ListAll = "List.all" : "fn(List<a>, fn(a) -> Bool) -> Bool", "Whether the function is true for every element.";
            ListFind = "List.find" : "fn(List<a>, fn(a) -> Bool) -> Option<a>", "The first element for which the function is true.";
            ListTake = "List.take" : "fn(List<a>, Int) -> List<a>", "The first `n` elements (all of them if fewer).";
            ListDrop = "List.drop" : "fn(List<a>, Int) -> List<a>", "All but the first `n` elements.";
            ListSum = "List.sum" : "fn(List<number>) -> number", "The sum; Int overflow is an error.";
            ListRepeat = "List.repeat" : "fn(a, Int) -> List<a>", "`List.repeat(value, n)`: `n` copies.";
            ListUnique = "List.unique" : "fn(List<equatable>) -> List<equatable>", "Removes later duplicates, keeping the first of equal elements.";
            ListGroupBy = "List.groupBy" : "fn(List<a>, fn(a) -> String) -> Dict<List<a>>", "Groups elements by a String key, keeping their order.";
        }

        Dict {
            DictEmpty = "Dict.empty" : "fn() -> Dict<a>", "A dict with no entries (same as `{}`).";
            DictGet = "Dict.get" : "fn(Dict<a>, String) -> Option<a>", "The value of a key, if present.";
            DictSet = "Dict.set" : "fn(Dict<a>, String, a) -> Dict<a>", "A dict with the key set to the value.";
            DictRemove = "Dict.remove" : "fn(Dict<a>, String) -> Dict<a>", "A dict without the key.";
            DictHas = "Dict.has" : "fn(Dict<a>, String) -> Bool", "Whether the key is present.";
            DictKeys = "Dict.keys" : "fn(Dict<a>) -> List<String>", "The keys, sorted.";
            DictValues = "Dict.values" : "fn(Dict<a>) -> List<a>", "The values, in key order.";
            DictSize = "Dict.size" : "fn(Dict<a>) -> Int", "Number of entries.";
            DictEntries = "Dict.entries" : "fn(Dict<a>) -> List<Entry<a>>", "The entries `{ key, value }`, in key order.";
            DictFromEntries = "Dict.fromEntries" : "fn(List<Entry<a>>) -> Dict<a>", "A dict from entries; a later entry wins over an earlier one with the same key.";
            DictMap = "Dict.map" : "fn(Dict<a>, fn(a) -> b) -> Dict<b>", "Applies a function to every value.";
            DictFilter = "Dict.filter" : "fn(Dict<a>, fn(String, a) -> Bool) -> Dict<a>", "The entries for which the function of key and value is true.";
            DictMerge = "Dict.merge" : "fn(Dict<a>, Dict<a>) -> Dict<a>", "All entries of both; the second dict wins on equal keys.";
        }

        // Option and Result
        Option {
            OptionMap = "Option.map" : "fn(Option<a>, fn(a) -> b) -> Option<b>", "Applies the function to a `Some` value.";
            OptionAndThen = "Option.andThen" : "fn(Option<a>, fn(a) -> Option<b>) -> Option<b>", "Chains a computation that may give `None`.";
            OptionWithDefault = "Option.withDefault" : "fn(Option<a>, a) -> a", "The `Some` value, or the default.";
            OptionIsSome = "Option.isSome" : "fn(Option<a>) -> Bool", "True for `Some(_)`.";
            OptionIsNone = "Option.isNone" : "fn(Option<a>) -> Bool", "True for `None`.";
            OptionToResult = "Option.toResult" : "fn(Option<a>, e) -> Result<a, e>", "`Some(v)` → `Ok(v)`, `None` → `Error(e)`.";
            ResultMap = "Result.map" : "fn(Result<a, e>, fn(a) -> b) -> Result<b, e>", "Applies the function to an `Ok` value.";
            ResultMapError = "Result.mapError" : "fn(Result<a, e>, fn(e) -> f) -> Result<a, f>", "Applies the function to an `Error` value.";
            ResultAndThen = "Result.andThen" : "fn(Result<a, e>, fn(a) -> Result<b, e>) -> Result<b, e>", "Chains a computation that may fail.";
            ResultWithDefault = "Result.withDefault" : "fn(Result<a, e>, a) -> a", "The `Ok` value, or the default.";
            ResultIsOk = "Result.isOk" : "fn(Result<a, e>) -> Bool", "True for `Ok(_)`.";
            ResultToOption = "Result.toOption" : "fn(Result<a, e>) -> Option<a>", "`Ok(v)` → `Some(v)`, `Error(_)` → `None`.";
        }

        Json {
            JsonParse = "Json.parse" : "fn(String) -> Result<Json, String>", "Parses JSON text into a `Json` tree.";
            JsonStringify = "Json.stringify" : "fn(Json) -> String", "Compact JSON text of a `Json` tree.";
            JsonEncode = "Json.encode" : "fn(data) -> String", "JSON text of a value (see \"JSON mapping\"). `data` in a type is any type without functions, datastores or workers inside.";
            JsonDecode = "Json.decode" : "fn(String) -> Result<data, String>", "Parses JSON text into a value of the type given as `Json.decode<T>(text)` or known from context.";
            JsonToJson = "Json.toJson" : "fn(data) -> Json", "The `Json` tree of any value.";
            JsonFromJson = "Json.fromJson" : "fn(Json) -> Result<data, String>", "Converts a `Json` tree into a value of the type known from context.";
        }

        // Http responses
        Http {
            HttpText = "Http.text" : "fn(String, Int) -> Http.Response", "`Http.text(body, status)` with `content-type: text/plain; charset=utf-8`.";
            HttpJson = "Http.json" : "fn(data, Int) -> Http.Response", "`Http.json(value, status)`: the value as JSON, `content-type: application/json`.";
            HttpHtml = "Http.html" : "fn(String, Int) -> Http.Response", "`Http.html(body, status)` with `content-type: text/html; charset=utf-8`.";
            HttpEmpty = "Http.empty" : "fn(Int) -> Http.Response", "A response with a status and no body.";
            HttpRedirect = "Http.redirect" : "fn(String) -> Http.Response", "A 302 redirect to a URL.";
            HttpWithHeader = "Http.withHeader" : "fn(Http.Response, String, String) -> Http.Response", "`Http.withHeader(response, name, value)` sets a header (names are lower-cased).";
        }

        Secret {
            SecretMatches = "Secret.matches" : "fn(Secret, String) -> Bool", "`Secret.matches(secret, text)`: whether the text is the secret's value, compared in constant time (e.g. a webhook's shared token).";
        }

        // Time (pure)
        Time {
            TimeToIso = "Time.toIso" : "fn(Int) -> String", "Milliseconds since the Unix epoch as RFC 3339 UTC text, e.g. `2026-01-02T03:04:05.006Z`. Fails outside the years 0000 to 9999, which RFC 3339 cannot write.";
        }
    }

    // Effects: the host performs them; the brackets are their traits.
    effect {
        DbGet = "DB.get" : "fn(Datastore<a>, String) -> Option<a>", "The value stored under a key.";
        [writes] DbSet = "DB.set" : "fn(Datastore<data>, String, data) -> ()", "Stores a value under a key, replacing any previous one.";
        [writes] DbDelete = "DB.delete" : "fn(Datastore<a>, String) -> ()", "Deletes a key (no error when absent).";
        DbGetAll = "DB.getAll" : "fn(Datastore<a>) -> List<a>", "Every value, in key order.";
        DbKeys = "DB.keys" : "fn(Datastore<a>) -> List<String>", "Every key, sorted.";
        [calls_out] HttpGet = "Http.get" : "fn(String) -> Result<Http.Response, String>", "Outbound GET; `Error` on a network failure (not on a 4xx/5xx status).";
        [calls_out] HttpPost = "Http.post" : "fn(String, String) -> Result<Http.Response, String>", "`Http.post(url, body)`: outbound POST.";
        [calls_out] HttpRequest = "Http.request" : "fn(String, String, Dict<String>, String) -> Result<Http.Response, String>", "`Http.request(method, url, headers, body)`: any outbound request.";
        [calls_out, secret] HttpRequestWithSecrets = "Http.requestWithSecrets" : "fn(String, String, Dict<String>, Dict<Secret>, String) -> Result<Http.Response, String>", "`Http.requestWithSecrets(method, url, headers, secrets, body)`: `Http.request` where the URL, header values and body may hold placeholders `{{name}}`, replaced by the secret of that name in `secrets` just before the call. The trace records the call as written, the secrets by name only; an unknown name is an `Error`.";
        TimeNow = "Time.now" : "fn() -> Int", "Milliseconds since the Unix epoch.";
        RandomInt = "Random.int" : "fn(Int, Int) -> Int", "`Random.int(low, high)`: uniform, both included.";
        RandomFloat = "Random.float" : "fn() -> Float", "Uniform in [0, 1).";
        RandomUuid = "Random.uuid" : "fn() -> String", "A random (version 4) UUID.";
        [replays_live, log] LogInfo = "Log.info" : "fn(String) -> ()", "Writes an info line to the trace's log.";
        [replays_live, log] LogWarn = "Log.warn" : "fn(String) -> ()", "Writes a warning line to the trace's log.";
        [replays_live, log] LogError = "Log.error" : "fn(String) -> ()", "Writes an error line to the trace's log.";
        [replays_live, secret] SecretsGet = "Secrets.get" : "fn(String) -> Option<Secret>", "A secret of the canvas, as an opaque `Secret`: it cannot be shown, stored or compared with `==`, only passed to `Http.requestWithSecrets` or `Secret.matches`.";
        [writes, replays_live] QueueEmit = "Queue.emit" : "fn(Worker<data>, data) -> ()", "Sends an event to a worker.";
    }
}

impl Builtin {
    pub fn module(self) -> &'static str {
        self.name().split_once('.').map_or("", |(module, _)| module)
    }

    pub fn short_name(self) -> &'static str {
        self.name().split_once('.').map_or(self.name(), |(_, name)| name)
    }

    /// The parsed type.
    pub fn scheme(self) -> &'static Scheme {
        static SCHEMES: OnceLock<Vec<Scheme>> = OnceLock::new();
        let schemes = SCHEMES.get_or_init(|| {
            Builtin::ALL
                .iter()
                .map(|builtin| {
                    parse_signature(builtin.signature())
                        .unwrap_or_else(|error| panic!("signature of {} does not parse: {error}", builtin.name()))
                })
                .collect()
        });
        &schemes[self as usize]
    }

    /// The modules that have functions, in table order.
    pub fn modules() -> Vec<&'static str> {
        let mut modules: Vec<&'static str> = Vec::new();
        for builtin in Builtin::ALL {
            if !modules.contains(&builtin.module()) {
                modules.push(builtin.module());
            }
        }
        modules
    }
}

impl Builtin {
    /// Looks a function up by its qualified name. Only the checker resolves
    /// names; later stages read [`crate::types::Resolution`].
    pub fn lookup(module: &str, name: &str) -> Option<Builtin> {
        static BY_NAME: OnceLock<HashMap<(&'static str, &'static str), Builtin>> = OnceLock::new();
        let by_name = BY_NAME.get_or_init(|| {
            Builtin::ALL.iter().map(|builtin| ((builtin.module(), builtin.short_name()), *builtin)).collect()
        });
        by_name.get(&(module, name)).copied()
    }

    /// The function's number, as compiled code and the guest pass it: its
    /// position in [`Builtin::ALL`].
    pub fn index(self) -> u32 {
        self as u32
    }

    /// The function with this [`Builtin::index`].
    pub fn from_index(index: u32) -> Option<Builtin> {
        Builtin::ALL.get(index as usize).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signature_parses() {
        for builtin in Builtin::ALL {
            assert!(parse_signature(builtin.signature()).is_ok(), "{}", builtin.name());
            assert_eq!(Builtin::lookup(builtin.module(), builtin.short_name()), Some(*builtin));
            assert_eq!(Builtin::from_index(builtin.index()), Some(*builtin));
        }
    }
}
