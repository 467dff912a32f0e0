//! Int and Float: checked arithmetic, parsing and printing.

use super::*;

#[test]
fn int_arithmetic_is_checked() {
    assert!(matches!(kind(Builtin::IntAbs, vec![int(i64::MIN)]), ErrorKind::IntOverflow { .. }));
    assert_eq!(ok(Builtin::IntAbs, vec![int(-5)]), int(5));
    assert!(matches!(kind(Builtin::IntPow, vec![int(10), int(19)]), ErrorKind::IntOverflow { .. }));
    assert!(matches!(kind(Builtin::IntPow, vec![int(2), int(63)]), ErrorKind::IntOverflow { .. }));
    assert!(matches!(kind(Builtin::IntPow, vec![int(3), int(1 << 40)]), ErrorKind::IntOverflow { .. }));
    assert_eq!(ok(Builtin::IntPow, vec![int(-2), int(63)]), int(i64::MIN));
    assert_eq!(ok(Builtin::IntPow, vec![int(0), int(0)]), int(1));
    assert_eq!(ok(Builtin::IntPow, vec![int(1), int(1 << 40)]), int(1));
    assert_eq!(ok(Builtin::IntPow, vec![int(0), int(1 << 40)]), int(0));
    assert_eq!(ok(Builtin::IntPow, vec![int(-1), int((1 << 33) + 1)]), int(-1));
    assert_eq!(ok(Builtin::IntPow, vec![int(-1), int(1 << 33)]), int(1));
    assert_eq!(
        kind(Builtin::IntPow, vec![int(2), int(-1)]),
        ErrorKind::Builtin { function: "Int.pow", message: "negative exponent -1".into() }
    );
    assert!(matches!(kind(Builtin::ListSum, vec![ints(&[i64::MAX, 1])]), ErrorKind::IntOverflow { .. }));
    assert!(matches!(kind(Builtin::ListSum, vec![ints(&[i64::MIN, -1])]), ErrorKind::IntOverflow { .. }));
    assert_eq!(ok(Builtin::ListSum, vec![ints(&[i64::MAX, -1, 1])]), int(i64::MAX));
    assert!(matches!(kind(Builtin::IntClamp, vec![int(1), int(5), int(2)]), ErrorKind::Builtin { .. }));
    assert_eq!(ok(Builtin::IntClamp, vec![int(9), int(2), int(5)]), int(5));
    assert_eq!(ok(Builtin::IntIsEven, vec![int(i64::MIN)]), Value::Bool(true));
    assert_eq!(ok(Builtin::IntIsEven, vec![int(-3)]), Value::Bool(false));
}

#[test]
fn list_sum_of_nothing_follows_the_checked_type() {
    let empty = Value::list(vec![]);
    assert_eq!(call_at(Builtin::ListSum, vec![empty.clone()], &Type::float()).ok(), Some(Value::Float(0.0)));
    assert_eq!(call_at(Builtin::ListSum, vec![empty], &Type::int()).ok(), Some(int(0)));
    let floats = Value::list(vec![Value::Float(0.5), Value::Float(0.25)]);
    assert_eq!(ok(Builtin::ListSum, vec![floats]), Value::Float(0.75));
    let huge = Value::list(vec![Value::Float(f64::MAX), Value::Float(f64::MAX)]);
    assert_eq!(kind(Builtin::ListSum, vec![huge]), ErrorKind::NonFiniteFloat);
}

#[test]
fn int_parse_accepts_only_plain_decimal() {
    let parse = |text: &str| ok(Builtin::IntParse, vec![s(text)]).to_string();
    assert_eq!(parse("42"), "Ok(42)");
    assert_eq!(parse("-7"), "Ok(-7)");
    assert_eq!(parse("+3"), "Ok(3)");
    assert_eq!(parse("-9223372036854775808"), "Ok(-9223372036854775808)");
    assert_eq!(parse("abc"), r#"Error("not an Int: \"abc\"")"#);
    for bad in ["", "-", "+-1", " 1", "1 ", "4.5", "١٢", "0x10", "1_000"] {
        assert!(parse(bad).starts_with("Error(\"not an Int"), "{bad:?}: {}", parse(bad));
    }
    assert_eq!(parse("9223372036854775808"), r#"Error("out of the range of Int: \"9223372036854775808\"")"#);
}

// ---- Float ----

#[test]
fn float_conversions_to_int() {
    let f = |x: f64| Value::Float(x);
    assert_eq!(ok(Builtin::FloatRound, vec![f(2.5)]), int(3));
    assert_eq!(ok(Builtin::FloatRound, vec![f(-2.5)]), int(-3));
    assert_eq!(ok(Builtin::FloatRound, vec![f(-0.4)]), int(0));
    assert_eq!(ok(Builtin::FloatFloor, vec![f(-1.5)]), int(-2));
    assert_eq!(ok(Builtin::FloatCeiling, vec![f(-1.5)]), int(-1));
    assert_eq!(ok(Builtin::FloatTruncate, vec![f(-1.9)]), int(-1));
    assert_eq!(ok(Builtin::FloatFloor, vec![f(-(2f64.powi(63)))]), int(i64::MIN));
    assert_eq!(
        kind(Builtin::FloatRound, vec![f(2f64.powi(63))]),
        ErrorKind::Builtin {
            function: "Float.round",
            message: "9.223372036854776e18 is not within the range of Int".into()
        }
    );
    assert_eq!(
        kind(Builtin::FloatTruncate, vec![f(f64::NAN)]),
        ErrorKind::Builtin { function: "Float.truncate", message: "NaN has no Int value".into() }
    );
    assert!(matches!(kind(Builtin::FloatCeiling, vec![f(f64::INFINITY)]), ErrorKind::Builtin { .. }));
}

#[test]
fn float_parse_and_print() {
    let parse = |text: &str| ok(Builtin::FloatParse, vec![s(text)]).to_string();
    assert_eq!(parse("3.25"), "Ok(3.25)");
    assert_eq!(parse("1e3"), "Ok(1000.0)");
    assert_eq!(parse("-.5"), "Ok(-0.5)");
    for bad in ["nan", "NaN", "inf", "-infinity", "", " 1.0", "1,5", "0x1p3"] {
        assert!(parse(bad).starts_with("Error(\"not a Float"), "{bad:?}: {}", parse(bad));
    }
    assert_eq!(parse("1e400"), r#"Error("out of the range of Float: \"1e400\"")"#);
    assert_eq!(ok(Builtin::FloatToString, vec![Value::Float(3.0)]), s("3.0"));
    assert_eq!(ok(Builtin::FloatToString, vec![Value::Float(1e20)]), s("1.0e20"));
    assert_eq!(kind(Builtin::FloatPow, vec![Value::Float(10.0), Value::Float(400.0)]), ErrorKind::NonFiniteFloat);
    assert!(matches!(kind(Builtin::FloatSqrt, vec![Value::Float(-1.0)]), ErrorKind::Builtin { .. }));
    assert_eq!(ok(Builtin::FloatSqrt, vec![Value::Float(2.25)]), Value::Float(1.5));
}
