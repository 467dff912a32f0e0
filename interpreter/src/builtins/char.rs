//! `Bool.toString` and `Char.*`.

use super::*;

#[inline(never)]
pub(super) fn call(args: &Args) -> Result<Value, RuntimeError> {
    let builtin = args.builtin;
    use Builtin as B;
    Ok(match builtin {
        B::BoolToString => Value::string(args.bool(0)?.to_string()),
        B::CharToString => Value::string(args.char(0)?.to_string()),
        B::CharToCode => Value::Int(i64::from(u32::from(args.char(0)?))),
        B::CharFromCode => {
            let code = args.int(0)?;
            Value::option(u32::try_from(code).ok().and_then(char::from_u32).map(Value::Char))
        }
        B::CharIsDigit => Value::Bool(args.char(0)?.is_ascii_digit()),
        B::CharIsLetter => Value::Bool(args.char(0)?.is_alphabetic()),
        B::CharIsWhitespace => Value::Bool(args.char(0)?.is_whitespace()),
        B::CharToUpper => {
            let c = args.char(0)?;
            let mut upper = c.to_uppercase();
            Value::Char(match (upper.next(), upper.next()) {
                (Some(u), None) => u,
                _ => c,
            })
        }
        B::CharToLower => {
            let c = args.char(0)?;
            let mut lower = c.to_lowercase();
            Value::Char(match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            })
        }
        other => return Err(elsewhere(other)),
    })
}
