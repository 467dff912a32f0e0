//! `String.*`: strings indexed by characters (Unicode scalar values).

use super::*;

#[inline(never)]
pub(super) fn call(args: &Args, callbacks: &mut dyn Callbacks) -> Result<Value, RuntimeError> {
    let builtin = args.builtin;
    use Builtin as B;
    Ok(match builtin {
        B::StringLength => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            Value::Int(text.chars().count() as i64)
        }
        B::StringIsEmpty => Value::Bool(args.string(0)?.is_empty()),
        B::StringToUpper => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            string_result(text.to_uppercase())?
        }
        B::StringToLower => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            string_result(text.to_lowercase())?
        }
        B::StringTrim => Value::string(args.string(0)?.trim()),
        B::StringContains => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            Value::Bool(text.contains(args.string(1)?))
        }
        B::StringStartsWith => Value::Bool(args.string(0)?.starts_with(args.string(1)?)),
        B::StringEndsWith => Value::Bool(args.string(0)?.ends_with(args.string(1)?)),
        B::StringSplit => {
            let (text, separator) = (args.string(0)?, args.string(1)?);
            charge(callbacks, text.len())?;
            reserve(callbacks, || {
                let parts =
                    if separator.is_empty() { text.chars().count() } else { text.matches(separator).count() + 1 };
                list_bytes(parts.saturating_mul(2)).saturating_add(text.len())
            })?;
            let parts: Vec<Value> = if separator.is_empty() {
                text.chars().map(|c| Value::string(c.to_string())).collect()
            } else {
                text.split(separator).map(Value::string).collect()
            };
            Value::list(parts)
        }
        B::StringJoin => {
            let (parts, separator) = (args.list(0)?, args.string(1)?);
            let mut texts = Vec::with_capacity(parts.len());
            let mut size = separator.chars().count().saturating_mul(parts.len().saturating_sub(1));
            for (i, part) in parts.iter().enumerate() {
                let Value::String(text) = part else { return Err(args.wrong_element(0, i, "a String", part)) };
                size = size.saturating_add(text.chars().count());
                texts.push(&**text);
            }
            check_size(size)?;
            charge(callbacks, parts.len().saturating_add(size))?;
            reserve(callbacks, || {
                let bytes = texts.iter().map(|text| text.len()).fold(0, usize::saturating_add);
                separator.len().saturating_mul(texts.len()).saturating_add(bytes)
            })?;
            Value::string(texts.join(separator))
        }
        B::StringReplace => {
            let (text, from, to) = (args.string(0)?, args.string(1)?, args.string(2)?);
            if from.is_empty() {
                return Err(fail(builtin, "the text to replace must not be empty"));
            }
            charge(callbacks, text.len())?;
            let count = text.matches(from).count();
            let removed = count.saturating_mul(from.chars().count());
            let added = count.saturating_mul(to.chars().count());
            check_size((text.chars().count() - removed).saturating_add(added))?;
            reserve(callbacks, || text.len().saturating_add(count.saturating_mul(to.len())))?;
            Value::string(text.replace(from, to))
        }
        B::StringSlice => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            let length = text.chars().count() as i64;
            let start = args.int(1)?.clamp(0, length) as usize;
            let end = args.int(2)?.clamp(0, length) as usize;
            if start < end {
                let from = byte_offset(text, start);
                let to = from + byte_offset(&text[from..], end - start);
                Value::string(&text[from..to])
            } else {
                Value::string("")
            }
        }
        B::StringReverse => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            Value::string(text.chars().rev().collect::<String>())
        }
        B::StringRepeat => {
            let (text, count) = (args.string(0)?, args.int(1)?);
            let Ok(count) = usize::try_from(count) else {
                return Err(fail(builtin, format!("cannot repeat {count} times")));
            };
            check_size(text.chars().count().saturating_mul(count))?;
            charge(callbacks, text.len().saturating_mul(count))?;
            reserve(callbacks, || text.len().saturating_mul(count))?;
            Value::string(text.repeat(count))
        }
        B::StringIndexOf => {
            let (text, part) = (args.string(0)?, args.string(1)?);
            charge(callbacks, text.len())?;
            Value::option(text.find(part).map(|byte| Value::Int(text[..byte].chars().count() as i64)))
        }
        B::StringToChars => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            reserve(callbacks, || list_bytes(text.chars().count()))?;
            Value::list(text.chars().map(Value::Char).collect())
        }
        B::StringFromChars => {
            let chars = args.list(0)?;
            charge(callbacks, chars.len())?;
            let text = chars
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Value::Char(c) => Ok(*c),
                    other => Err(args.wrong_element(0, i, "a Char", other)),
                })
                .collect::<Result<String, _>>()?;
            Value::string(text)
        }
        B::StringFromChar => Value::string(args.char(0)?.to_string()),
        B::StringLines => {
            let text = args.string(0)?;
            charge(callbacks, text.len())?;
            reserve(callbacks, || {
                let lines = text.bytes().filter(|byte| *byte == b'\n').count() + 1;
                list_bytes(lines.saturating_mul(2)).saturating_add(text.len())
            })?;
            Value::list(text.split('\n').map(|line| Value::string(line.strip_suffix('\r').unwrap_or(line))).collect())
        }
        B::StringPadLeft => {
            let (text, width, pad) = (args.string(0)?, args.int(1)?, args.char(2)?);
            let length = text.chars().count();
            // A negative width pads nothing.
            let missing = usize::try_from(width).unwrap_or(0).saturating_sub(length);
            check_size(length.saturating_add(missing))?;
            charge(callbacks, text.len().saturating_add(missing))?;
            reserve(callbacks, || text.len().saturating_add(missing.saturating_mul(pad.len_utf8())))?;
            Value::string(std::iter::repeat_n(pad, missing).chain(text.chars()).collect::<String>())
        }
        other => return Err(elsewhere(other)),
    })
}

fn string_result(text: String) -> Result<Value, RuntimeError> {
    check_size(text.chars().count())?;
    Ok(Value::string(text))
}

/// The byte offset of character `index` (the end of the text if past it).
fn byte_offset(text: &str, index: usize) -> usize {
    text.char_indices().nth(index).map_or(text.len(), |(byte, _)| byte)
}
