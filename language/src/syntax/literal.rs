//! Literal decoding: numbers and escapes. Both engines see only the decoded
//! values, so every form accepted here runs the same everywhere.
//!
//! Number forms (docs/language.md §1): decimal Ints with `_` separators
//! (`1_000`), `0x`/`0o`/`0b` Ints (`0x1F`, `0o17`, `0b101`), and Floats with a
//! `.` between digits and/or an exponent (`1.5`, `1e3`, `2.5e-3`). The grammar
//! lexes any word that starts with a digit as one token; whatever else it is
//! (`12abc`, `0x1g`) is an error here.

use super::error::NumberProblem;

/// The value of a number literal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

/// Why a number literal has no value.
#[derive(Debug, Clone, PartialEq)]
pub enum BadNumber {
    Invalid(NumberProblem),
    /// An Int outside the 64-bit range.
    IntTooLarge,
}

/// Decodes a number token, negated when `negative` (so that
/// `-9223372036854775808` is an Int literal).
pub fn number(text: &str, negative: bool) -> Result<Number, BadNumber> {
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    let based = match plain.get(..2) {
        Some("0x" | "0X") => Some((16, "hexadecimal")),
        Some("0o" | "0O") => Some((8, "octal")),
        Some("0b" | "0B") => Some((2, "binary")),
        _ => None,
    };
    if let Some((radix, base)) = based {
        let digits = &plain[2..];
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return Err(BadNumber::Invalid(NumberProblem::BadDigits { base }));
        }
        let magnitude = u128::from_str_radix(digits, radix).map_err(|_| BadNumber::IntTooLarge)?;
        return int(magnitude, negative);
    }
    if plain.chars().all(|c| c.is_ascii_digit()) {
        let magnitude = plain.parse::<u128>().map_err(|_| BadNumber::IntTooLarge)?;
        return int(magnitude, negative);
    }
    // Rust's float syntax, less what cannot start with a digit (`inf`, `NaN`).
    match plain.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(Number::Float(if negative { -value } else { value })),
        Ok(_) => Err(BadNumber::Invalid(NumberProblem::FloatOutOfRange)),
        Err(_) => Err(BadNumber::Invalid(NumberProblem::TrailingLetters)),
    }
}

fn int(magnitude: u128, negative: bool) -> Result<Number, BadNumber> {
    let signed = if negative {
        -i128::try_from(magnitude).map_err(|_| BadNumber::IntTooLarge)?
    } else {
        i128::try_from(magnitude).map_err(|_| BadNumber::IntTooLarge)?
    };
    i64::try_from(signed).map(Number::Int).map_err(|_| BadNumber::IntTooLarge)
}

/// The character an escape sequence (`\n`, `\u{e9}`) stands for.
pub fn escape(text: &str) -> Option<char> {
    let body = text.strip_prefix('\\')?;
    match body {
        "n" => Some('\n'),
        "r" => Some('\r'),
        "t" => Some('\t'),
        "0" => Some('\0'),
        "\\" => Some('\\'),
        "\"" => Some('"'),
        "'" => Some('\''),
        "$" => Some('$'),
        _ => {
            let hex = body.strip_prefix("u{")?.strip_suffix('}')?;
            char::from_u32(u32::from_str_radix(hex, 16).ok()?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One line per form: text, negated?, expected value or problem.
    #[test]
    fn number_forms() {
        use BadNumber::*;
        use Number::*;
        use NumberProblem::*;
        let cases: &[(&str, bool, Result<Number, BadNumber>)] = &[
            ("0", false, Ok(Int(0))),
            ("1_000", false, Ok(Int(1000))),
            ("9223372036854775807", false, Ok(Int(i64::MAX))),
            ("9223372036854775808", false, Err(IntTooLarge)),
            ("9223372036854775808", true, Ok(Int(i64::MIN))),
            ("9223372036854775809", true, Err(IntTooLarge)),
            ("99999999999999999999999999999999999999999", false, Err(IntTooLarge)),
            ("0x10", false, Ok(Int(16))),
            ("0XfF", false, Ok(Int(255))),
            ("0x_ff_ff", false, Ok(Int(65535))),
            ("0x8000000000000000", true, Ok(Int(i64::MIN))),
            ("0x8000000000000000", false, Err(IntTooLarge)),
            ("0o17", false, Ok(Int(15))),
            ("0b101", false, Ok(Int(5))),
            ("0x", false, Err(Invalid(BadDigits { base: "hexadecimal" }))),
            ("0x1g", false, Err(Invalid(BadDigits { base: "hexadecimal" }))),
            ("0o8", false, Err(Invalid(BadDigits { base: "octal" }))),
            ("0b102", false, Err(Invalid(BadDigits { base: "binary" }))),
            ("1.5", false, Ok(Float(1.5))),
            ("1e3", false, Ok(Float(1000.0))),
            ("1E3", false, Ok(Float(1000.0))),
            ("1.5e-3", false, Ok(Float(0.0015))),
            ("2e+2", false, Ok(Float(200.0))),
            ("1_000.000_5", false, Ok(Float(1000.0005))),
            ("1.5", true, Ok(Float(-1.5))),
            ("1.0e400", false, Err(Invalid(FloatOutOfRange))),
            ("12abc", false, Err(Invalid(TrailingLetters))),
            ("1e", false, Err(Invalid(TrailingLetters))),
            ("1.5x", false, Err(Invalid(TrailingLetters))),
            ("3inf", false, Err(Invalid(TrailingLetters))),
        ];
        for (text, negative, expected) in cases {
            assert_eq!(&number(text, *negative), expected, "{text} (negative: {negative})");
        }
    }
}
