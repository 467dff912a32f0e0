//! `Int.*`: checked arithmetic (an overflow is an error).

use super::*;

#[inline(never)]
pub(super) fn call(args: &Args, callbacks: &mut dyn Callbacks) -> Result<Value, RuntimeError> {
    let builtin = args.builtin;
    use Builtin as B;
    Ok(match builtin {
        B::IntParse => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                Value::error(Value::string(format!("not an Int: {text:?}")))
            } else {
                match text.parse::<i64>() {
                    Ok(n) => Value::ok(Value::Int(n)),
                    Err(_) => Value::error(Value::string(format!("out of the range of Int: {text:?}"))),
                }
            }
        }
        B::IntToString => Value::string(args.int(0)?.to_string()),
        B::IntToFloat => Value::Float(args.int(0)? as f64),
        B::IntAbs => {
            let n = args.int(0)?;
            Value::Int(n.checked_abs().ok_or_else(|| overflow(format!("Int.abs({n})")))?)
        }
        B::IntMin => Value::Int(args.int(0)?.min(args.int(1)?)),
        B::IntMax => Value::Int(args.int(0)?.max(args.int(1)?)),
        B::IntClamp => {
            let (n, low, high) = (args.int(0)?, args.int(1)?, args.int(2)?);
            if low > high {
                return Err(fail(builtin, format!("the low bound {low} is above the high bound {high}")));
            }
            Value::Int(n.clamp(low, high))
        }
        B::IntPow => {
            let (base, exponent) = (args.int(0)?, args.int(1)?);
            if exponent < 0 {
                return Err(fail(builtin, format!("negative exponent {exponent}")));
            }
            match (base, u32::try_from(exponent).ok().and_then(|e| base.checked_pow(e))) {
                (_, Some(n)) => Value::Int(n),
                // Exponents beyond u32: only these bases stay in range.
                (0 | 1, None) => Value::Int(base),
                (-1, None) => Value::Int(if exponent % 2 == 0 { 1 } else { -1 }),
                (_, None) => return Err(overflow(format!("Int.pow({base}, {exponent})"))),
            }
        }
        B::IntIsEven => Value::Bool(args.int(0)? % 2 == 0),
        other => return Err(elsewhere(other)),
    })
}
