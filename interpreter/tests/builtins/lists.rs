//! Lists and dicts: access, building, order, equality.

use super::*;
use gloam_interpreter::builtins::compare;
use std::cmp::Ordering;

#[test]
fn sorting_is_stable_and_total() {
    let floats = Value::list([2.0, -0.0, 0.0, -1.5].into_iter().map(Value::Float).collect());
    assert_eq!(ok(Builtin::ListSort, vec![floats]).to_string(), "[-1.5, -0.0, 0.0, 2.0]");
    let words = Value::list(["ccc", "a", "bb", "b", "aa", "c"].into_iter().map(s).collect());
    assert_eq!(ok(Builtin::ListSort, vec![words.clone()]).to_string(), r#"["a", "aa", "b", "bb", "c", "ccc"]"#);
    let by_length = ok(Builtin::ListSortBy, vec![words, builtin_fn(Builtin::StringLength)]);
    assert_eq!(by_length.to_string(), r#"["a", "b", "c", "bb", "aa", "ccc"]"#);
    assert_eq!(compare(&Value::Char('a'), &Value::Char('b')), Ordering::Less);
    assert_eq!(compare(&s("b"), &s("a")), Ordering::Greater);
    assert_eq!(compare(&s("Z"), &s("a")), Ordering::Less);
    assert_eq!(compare(&int(1), &s("a")), Ordering::Equal);
    assert_eq!(compare(&Value::Float(-0.5), &Value::Float(1.0)), Ordering::Less);
}

#[test]
fn equality_based_functions() {
    let values = Value::list(vec![
        Value::Float(0.0),
        Value::Float(-0.0),
        int(0),
        todo(1, "a", None),
        todo(1, "a", None),
        todo(1, "a", Some("n")),
        ints(&[1, 2]),
        ints(&[1, 2]),
        Value::none(),
        Value::none(),
    ]);
    let unique = ok(Builtin::ListUnique, vec![values.clone()]);
    let Value::List(unique) = unique else { panic!("not a list") };
    assert_eq!(unique.len(), 6);
    assert_eq!(unique[0].to_string(), "0.0");
    assert_eq!(unique[1], int(0));
    assert_eq!(ok(Builtin::ListContains, vec![values.clone(), todo(1, "a", Some("n"))]), Value::Bool(true));
    assert_eq!(ok(Builtin::ListContains, vec![values, todo(2, "a", None)]), Value::Bool(false));
    let with_function = Value::list(vec![builtin_fn(Builtin::IntAbs)]);
    assert_eq!(kind(Builtin::ListUnique, vec![with_function.clone()]), ErrorKind::CompareFunctions);
    assert_eq!(
        kind(Builtin::ListContains, vec![with_function.clone(), builtin_fn(Builtin::IntAbs)]),
        ErrorKind::CompareFunctions
    );
    let some_function = Value::list(vec![Value::some(builtin_fn(Builtin::IntAbs))]);
    assert_eq!(kind(Builtin::ListContains, vec![some_function, Value::none()]), ErrorKind::CompareFunctions);
}

#[test]
fn list_access_and_building() {
    let list = ints(&[1, 2, 3]);
    assert_eq!(ok(Builtin::ListGet, vec![list.clone(), int(-1)]).to_string(), "None");
    assert_eq!(ok(Builtin::ListGet, vec![list.clone(), int(2)]).to_string(), "Some(3)");
    assert_eq!(ok(Builtin::ListTail, vec![list.clone()]).to_string(), "Some([2, 3])");
    assert_eq!(ok(Builtin::ListTail, vec![ints(&[])]).to_string(), "None");
    assert_eq!(ok(Builtin::ListTake, vec![list.clone(), int(-1)]).to_string(), "[]");
    assert_eq!(ok(Builtin::ListTake, vec![list.clone(), int(i64::MAX)]).to_string(), "[1, 2, 3]");
    assert_eq!(ok(Builtin::ListDrop, vec![list.clone(), int(2)]).to_string(), "[3]");
    assert_eq!(ok(Builtin::ListDrop, vec![list.clone(), int(-5)]).to_string(), "[1, 2, 3]");
    let nested = Value::list(vec![list.clone(), ints(&[]), ints(&[4])]);
    assert_eq!(ok(Builtin::ListConcat, vec![nested]).to_string(), "[1, 2, 3, 4]");
    let options = Value::list(vec![s("1"), s("x"), s("3")]);
    let parsed = ok(Builtin::ListMap, vec![options.clone(), builtin_fn(Builtin::IntParse)]);
    assert_eq!(parsed.to_string(), r#"[Ok(1), Error("not an Int: \"x\""), Ok(3)]"#);
    let lengths =
        ok(Builtin::ListGroupBy, vec![Value::list(vec![s("b"), s("a"), s("b")]), builtin_fn(Builtin::StringTrim)]);
    assert_eq!(lengths.to_string(), r#"{ "a": ["a"], "b": ["b", "b"] }"#);
    let digits = Value::list(vec![Value::Char('1'), Value::Char('x')]);
    assert_eq!(ok(Builtin::ListAll, vec![digits.clone(), builtin_fn(Builtin::CharIsDigit)]), Value::Bool(false));
    assert_eq!(ok(Builtin::ListAny, vec![digits.clone(), builtin_fn(Builtin::CharIsDigit)]), Value::Bool(true));
    assert_eq!(ok(Builtin::ListFind, vec![digits.clone(), builtin_fn(Builtin::CharIsLetter)]).to_string(), "Some('x')");
    assert_eq!(ok(Builtin::ListAll, vec![ints(&[]), builtin_fn(Builtin::CharIsDigit)]), Value::Bool(true));
    assert!(matches!(
        kind(Builtin::ListFilter, vec![digits, builtin_fn(Builtin::CharToUpper)]),
        ErrorKind::IllTyped(_)
    ));
}

// ---- Dict ----

#[test]
fn dict_entries_and_order() {
    let entries = Value::list(vec![entry("b", int(1)), entry("a", int(2)), entry("b", int(3))]);
    let dict = ok(Builtin::DictFromEntries, vec![entries]);
    assert_eq!(dict.to_string(), r#"{ "a": 2, "b": 3 }"#);
    assert_eq!(ok(Builtin::DictKeys, vec![dict.clone()]).to_string(), r#"["a", "b"]"#);
    assert_eq!(
        ok(Builtin::DictEntries, vec![dict.clone()]).to_string(),
        r#"[Entry { key: "a", value: 2 }, Entry { key: "b", value: 3 }]"#
    );
    let other = ok(Builtin::DictSet, vec![ok(Builtin::DictEmpty, vec![]), s("b"), int(9)]);
    assert_eq!(ok(Builtin::DictMerge, vec![dict.clone(), other]).to_string(), r#"{ "a": 2, "b": 9 }"#);
    assert_eq!(ok(Builtin::DictRemove, vec![dict.clone(), s("a")]).to_string(), r#"{ "b": 3 }"#);
    assert_eq!(ok(Builtin::DictRemove, vec![dict.clone(), s("z")]), dict);
    assert_eq!(ok(Builtin::DictGet, vec![dict, s("z")]).to_string(), "None");
}
