//! Close names for "did you mean" hints: by edit distance, and from a small
//! table of what other languages call the standard library's functions.

use crate::stdlib::Builtin;

/// Names within edit distance 2 of `name` (or containing it), closest first, at most 3.
pub fn similar_names<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = candidates
        .filter(|candidate| *candidate != name)
        .filter_map(|candidate| {
            let distance = edit_distance(&name.to_lowercase(), &candidate.to_lowercase());
            let limit = if name.len() <= 3 { 1 } else { 2 };
            (distance <= limit).then_some((distance, candidate))
        })
        .collect();
    scored.sort();
    scored.dedup_by_key(|(_, candidate)| *candidate);
    scored.into_iter().take(3).map(|(_, candidate)| candidate.to_string()).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// What other languages call standard library functions: (their name, the
/// modules where it is looked for or `*` for any, Gloam's function). Names
/// are compared lower-cased.
const KNOWN_AS: &[(&str, &str, &str)] = &[
    ("toint", "*", "Int.parse"),
    ("parseint", "*", "Int.parse"),
    ("atoi", "*", "Int.parse"),
    ("tonumber", "*", "Int.parse"),
    ("fromstring", "Int", "Int.parse"),
    ("tofloat", "String", "Float.parse"),
    ("parsefloat", "*", "Float.parse"),
    ("fromstring", "Float", "Float.parse"),
    ("fromint", "String", "Int.toString"),
    ("fromfloat", "String", "Float.toString"),
    ("show", "Int", "Int.toString"),
    ("show", "Float", "Float.toString"),
    ("fromint", "Float", "Int.toFloat"),
    ("toint", "Float", "Float.round"),
    ("fromfloat", "Int", "Float.round"),
    ("foldl", "*", "List.fold"),
    ("foldleft", "*", "List.fold"),
    ("foldr", "*", "List.fold"),
    ("foldright", "*", "List.fold"),
    ("reduce", "*", "List.fold"),
    ("inject", "*", "List.fold"),
    ("length", "Dict", "Dict.size"),
    ("count", "Dict", "Dict.size"),
    ("len", "Dict", "Dict.size"),
    ("size", "List", "List.length"),
    ("count", "List", "List.length"),
    ("len", "List", "List.length"),
    ("size", "String", "String.length"),
    ("count", "String", "String.length"),
    ("len", "String", "String.length"),
    ("first", "List", "List.head"),
    ("flatten", "List", "List.concat"),
    ("includes", "List", "List.contains"),
    ("member", "List", "List.contains"),
    ("elem", "List", "List.contains"),
    ("has", "List", "List.contains"),
    ("sortwith", "List", "List.sortBy"),
    ("sorton", "List", "List.sortBy"),
    ("distinct", "List", "List.unique"),
    ("dedup", "List", "List.unique"),
    ("nub", "List", "List.unique"),
    ("join", "List", "String.join"),
    ("concat", "String", "String.join"),
    ("substring", "String", "String.slice"),
    ("substr", "String", "String.slice"),
    ("touppercase", "String", "String.toUpper"),
    ("upper", "String", "String.toUpper"),
    ("tolowercase", "String", "String.toLower"),
    ("lower", "String", "String.toLower"),
    ("strip", "String", "String.trim"),
    ("includes", "String", "String.contains"),
    ("chars", "String", "String.toChars"),
    ("getorelse", "*", "Option.withDefault"),
    ("unwrapor", "*", "Option.withDefault"),
    ("flatmap", "Option", "Option.andThen"),
    ("bind", "Option", "Option.andThen"),
    ("flatmap", "Result", "Result.andThen"),
    ("bind", "Result", "Result.andThen"),
    ("insert", "Dict", "Dict.set"),
    ("put", "Dict", "Dict.set"),
    ("delete", "Dict", "Dict.remove"),
    ("contains", "Dict", "Dict.has"),
    ("containskey", "Dict", "Dict.has"),
    ("member", "Dict", "Dict.has"),
    ("tolist", "Dict", "Dict.entries"),
    ("fromlist", "Dict", "Dict.fromEntries"),
    ("stringify", "Json", "Json.encode"),
    ("tostring", "Json", "Json.encode"),
    ("debug", "Log", "Log.info"),
    ("warning", "Log", "Log.warn"),
    ("fetch", "Http", "Http.request"),
    ("send", "Http", "Http.request"),
];

/// Standard library functions that `module.name` may have meant, best first,
/// at most 3: the table of other languages' names, close names in the same
/// module, then functions of the same name in other modules. With no module
/// (a bare name), only the table and the same names in any module.
pub fn builtin_suggestions(module: Option<&str>, name: &str) -> Vec<String> {
    let lower = name.to_lowercase();
    let mut found: Vec<String> = KNOWN_AS
        .iter()
        .filter(|(other, modules, _)| *other == lower && (*modules == "*" || Some(*modules) == module))
        .map(|(_, _, gloam)| gloam.to_string())
        .collect();
    if let Some(module) = module
        && found.is_empty()
    {
        let names = Builtin::ALL.iter().filter(|b| b.module() == module).map(|b| b.short_name());
        found.extend(similar_names(name, names).into_iter().map(|n| format!("{module}.{n}")));
    }
    if found.is_empty() {
        found.extend(
            Builtin::ALL
                .iter()
                .filter(|b| b.short_name().to_lowercase() == lower && Some(b.module()) != module)
                .map(|b| b.name().to_string()),
        );
    }
    let mut unique = Vec::new();
    for name in found {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    unique.truncate(3);
    unique
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every suggestion the table can make is a real function.
    #[test]
    fn known_names_are_real_functions() {
        for (_, _, gloam) in KNOWN_AS {
            let (module, name) = gloam.split_once('.').expect("qualified");
            assert!(Builtin::lookup(module, name).is_some(), "{gloam}");
        }
    }

    #[test]
    fn suggestions() {
        let cases: &[(Option<&str>, &str, &[&str])] = &[
            (Some("String"), "toInt", &["Int.parse"]),
            (Some("List"), "foldl", &["List.fold"]),
            (Some("List"), "size", &["List.length"]),
            (Some("List"), "lenght", &["List.length"]),
            (Some("String"), "toUpperCase", &["String.toUpper"]),
            (Some("String"), "parse", &["Int.parse", "Float.parse", "Json.parse"]),
            (Some("Dict"), "length", &["Dict.size"]),
            (None, "parseInt", &["Int.parse"]),
            (None, "length", &["String.length", "List.length"]),
            (Some("List"), "frobnicate", &[]),
        ];
        for (module, name, expected) in cases {
            assert_eq!(builtin_suggestions(*module, name), *expected, "{module:?}.{name}");
        }
    }
}
