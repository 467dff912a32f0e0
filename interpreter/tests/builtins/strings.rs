//! Strings: indexed by characters, not bytes; sizes checked before allocating.

use super::*;
use gloam_interpreter::builtins::MAX_COLLECTION;

#[test]
fn strings_are_indexed_by_characters() {
    let text = s("héllo wörld 🎉!");
    assert_eq!(ok(Builtin::StringLength, vec![text.clone()]), int(14));
    let slice = |start, end| ok(Builtin::StringSlice, vec![text.clone(), int(start), int(end)]);
    assert_eq!(slice(1, 4), s("éll"));
    assert_eq!(slice(7, 14), s("örld 🎉!"));
    assert_eq!(slice(12, 13), s("🎉"));
    assert_eq!(slice(-5, 2), s("hé"));
    assert_eq!(slice(10, 100), s("d 🎉!"));
    assert_eq!(slice(5, 3), s(""));
    assert_eq!(slice(i64::MIN, i64::MAX), text);
    assert_eq!(ok(Builtin::StringIndexOf, vec![text.clone(), s("🎉")]).to_string(), "Some(12)");
    assert_eq!(ok(Builtin::StringIndexOf, vec![text.clone(), s("zz")]).to_string(), "None");
    assert_eq!(ok(Builtin::StringIndexOf, vec![text.clone(), s("")]).to_string(), "Some(0)");
    assert_eq!(ok(Builtin::StringReverse, vec![s("aé🎉")]), s("🎉éa"));
    assert_eq!(ok(Builtin::StringSplit, vec![s("aé🎉"), s("")]).to_string(), r#"["a", "é", "🎉"]"#);
    assert_eq!(ok(Builtin::StringSplit, vec![s("a,,b"), s(",")]).to_string(), r#"["a", "", "b"]"#);
    assert_eq!(ok(Builtin::StringSplit, vec![s(""), s("")]).to_string(), "[]");
    assert_eq!(ok(Builtin::StringToChars, vec![s("é🎉")]).to_string(), "['é', '🎉']");
    assert_eq!(ok(Builtin::StringPadLeft, vec![s("é"), int(3), Value::Char('·')]), s("··é"));
    assert_eq!(ok(Builtin::StringPadLeft, vec![s("abc"), int(2), Value::Char('0')]), s("abc"));
    assert_eq!(ok(Builtin::StringPadLeft, vec![s("abc"), int(i64::MIN), Value::Char('0')]), s("abc"));
    assert_eq!(ok(Builtin::StringToUpper, vec![s("straße")]), s("STRASSE"));
    assert_eq!(ok(Builtin::CharToUpper, vec![Value::Char('ß')]), Value::Char('ß'));
    assert_eq!(ok(Builtin::CharToUpper, vec![Value::Char('é')]), Value::Char('É'));
    assert_eq!(ok(Builtin::CharFromCode, vec![int(0xD800)]).to_string(), "None");
    assert_eq!(ok(Builtin::CharFromCode, vec![int(-1)]).to_string(), "None");
    assert_eq!(ok(Builtin::CharFromCode, vec![int(0x1F389)]).to_string(), "Some('🎉')");
    assert_eq!(ok(Builtin::CharToCode, vec![Value::Char('é')]), int(0xE9));
}

#[test]
fn string_building() {
    let lines = ok(Builtin::StringLines, vec![s("one\r\ntwo\n\nthree\n")]);
    assert_eq!(lines.to_string(), r#"["one", "two", "", "three", ""]"#);
    assert_eq!(ok(Builtin::StringJoin, vec![lines, s("+")]), s("one+two++three+"));
    assert_eq!(ok(Builtin::StringJoin, vec![Value::list(vec![]), s(",")]), s(""));
    assert_eq!(ok(Builtin::StringReplace, vec![s("a.b.c"), s("."), s("::")]), s("a::b::c"));
    assert_eq!(
        kind(Builtin::StringReplace, vec![s("abc"), s(""), s("x")]),
        ErrorKind::Builtin { function: "String.replace", message: "the text to replace must not be empty".into() }
    );
    assert_eq!(ok(Builtin::StringRepeat, vec![s("ab"), int(3)]), s("ababab"));
    assert_eq!(ok(Builtin::StringRepeat, vec![s("ab"), int(0)]), s(""));
    assert_eq!(
        kind(Builtin::StringRepeat, vec![s("x"), int(-1)]),
        ErrorKind::Builtin { function: "String.repeat", message: "cannot repeat -1 times".into() }
    );
    assert_eq!(ok(Builtin::StringTrim, vec![s("\u{3000} x \n")]), s("x"));
    assert!(matches!(kind(Builtin::StringJoin, vec![ints(&[1]), s(",")]), ErrorKind::IllTyped(_)));
}

#[test]
fn size_limits_are_checked_before_allocating() {
    let too_big = |error: ErrorKind| matches!(error, ErrorKind::SizeLimit { limit: MAX_COLLECTION, .. });
    assert!(too_big(kind(Builtin::StringRepeat, vec![s("ab"), int(5_000_001)])));
    assert!(too_big(kind(Builtin::StringRepeat, vec![s("ab"), int(i64::MAX)])));
    assert!(too_big(kind(Builtin::StringPadLeft, vec![s("a"), int(i64::MAX), Value::Char(' ')])));
    assert!(too_big(kind(Builtin::ListRepeat, vec![int(1), int(10_000_001)])));
    assert!(too_big(kind(Builtin::ListRange, vec![int(0), int(10_000_000)])));
    assert!(too_big(kind(Builtin::ListRange, vec![int(i64::MIN), int(i64::MAX)])));
    let big = s(&"é".repeat(3_000_000));
    assert!(too_big(kind(Builtin::StringReplace, vec![big.clone(), s("é"), s("abcd")])));
    let parts = Value::list(vec![big.clone(), big.clone(), big.clone(), big]);
    assert!(too_big(kind(Builtin::StringJoin, vec![parts, s("")])));
    assert_eq!(ok(Builtin::ListRange, vec![int(3), int(1)]), ints(&[]));
    assert_eq!(ok(Builtin::ListRange, vec![int(i64::MAX - 1), int(i64::MAX)]), ints(&[i64::MAX - 1, i64::MAX]));
    assert_eq!(
        kind(Builtin::ListRepeat, vec![int(1), int(-2)]),
        ErrorKind::Builtin { function: "List.repeat", message: "cannot repeat -2 times".into() }
    );
}

#[test]
fn loops_charge_the_step_budget() {
    let mut fake = Fake::new();
    let table = table();
    let site = CallSite { result_type: &Type::Var(0), table: &table };
    call_pure(Builtin::ListRange, vec![int(1), int(1000)], &site, &mut fake).expect("range");
    assert!(fake.steps >= 1000, "{}", fake.steps);
    let mut fake = Fake { budget: 10_000, ..Fake::new() };
    let long = Value::list(vec![s("x"); 20_000]);
    let mapped = call_pure(Builtin::ListMap, vec![long, builtin_fn(Builtin::StringLength)], &site, &mut fake);
    assert!(matches!(mapped.map_err(|e| e.kind), Err(ErrorKind::StepLimit { .. })));
}
