//! `Float.*`: a result that is not finite is an error.

use super::*;

#[inline(never)]
pub(super) fn call(args: &Args, callbacks: &mut dyn Callbacks) -> Result<Value, RuntimeError> {
    let builtin = args.builtin;
    use Builtin as B;
    Ok(match builtin {
        B::FloatParse => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            // Rust also reads "nan", "inf" and "infinity"; Gloam Floats are finite numbers.
            let numeric = !text.is_empty()
                && text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
            match text.parse::<f64>() {
                Ok(value) if numeric && value.is_finite() => Value::ok(Value::Float(value)),
                Ok(_) if numeric => Value::error(Value::string(format!("out of the range of Float: {text:?}"))),
                _ => Value::error(Value::string(format!("not a Float: {text:?}"))),
            }
        }
        B::FloatToString => Value::string(format_float(args.float(0)?)),
        B::FloatRound => {
            let value = args.float(0)?;
            float_to_int(builtin, value, value.round())?
        }
        B::FloatFloor => {
            let value = args.float(0)?;
            float_to_int(builtin, value, value.floor())?
        }
        B::FloatCeiling => {
            let value = args.float(0)?;
            float_to_int(builtin, value, value.ceil())?
        }
        B::FloatTruncate => {
            let value = args.float(0)?;
            float_to_int(builtin, value, value.trunc())?
        }
        B::FloatSqrt => {
            let value = args.float(0)?;
            if value < 0.0 {
                return Err(fail(builtin, format!("square root of negative {}", format_float(value))));
            }
            finite(value.sqrt())?
        }
        B::FloatAbs => finite(args.float(0)?.abs())?,
        B::FloatMin => finite(args.float(0)?.min(args.float(1)?))?,
        B::FloatMax => finite(args.float(0)?.max(args.float(1)?))?,
        B::FloatPow => finite(args.float(0)?.powf(args.float(1)?))?,
        other => return Err(elsewhere(other)),
    })
}

/// The Int value of an already rounded Float.
fn float_to_int(builtin: Builtin, input: f64, rounded: f64) -> Result<Value, RuntimeError> {
    if rounded.is_nan() {
        return Err(fail(builtin, "NaN has no Int value"));
    }
    // i64::MAX as f64 rounds up to 2^63, which is out of range; -2^63 is i64::MIN.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&rounded) {
        return Err(fail(builtin, format!("{} is not within the range of Int", format_float(input))));
    }
    Ok(Value::Int(rounded as i64))
}
