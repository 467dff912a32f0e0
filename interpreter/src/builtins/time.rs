//! `Time.toIso` (`Time.now` is an effect).

use super::*;

#[inline(never)]
pub(super) fn call(args: &Args) -> Result<Value, RuntimeError> {
    let builtin = args.builtin;
    use Builtin as B;
    Ok(match builtin {
        B::TimeToIso => {
            let milliseconds = args.int(0)?;
            Value::string(iso_time(milliseconds).ok_or_else(|| ErrorKind::Builtin {
                function: "Time.toIso",
                message: format!(
                    "{milliseconds} ms is outside the years 0000 to 9999 that RFC 3339 can write ({} to {})",
                    ISO_RANGE.start(),
                    ISO_RANGE.end()
                ),
            })?)
        }
        other => return Err(elsewhere(other)),
    })
}

/// The milliseconds since the epoch RFC 3339 can write: years 0000 to 9999.
const ISO_RANGE: std::ops::RangeInclusive<i64> = -62_167_219_200_000..=253_402_300_799_999;

/// RFC 3339 UTC text of milliseconds since the epoch; `None` outside the
/// years 0000–9999, which RFC 3339 cannot write.
fn iso_time(milliseconds: i64) -> Option<String> {
    if !ISO_RANGE.contains(&milliseconds) {
        return None;
    }
    let days = milliseconds.div_euclid(86_400_000);
    let in_day = milliseconds.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (hours, minutes) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (seconds, millis) = (in_day / 1000 % 60, in_day % 1000);
    Some(format!("{year:04}-{month:02}-{day:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z"))
}
