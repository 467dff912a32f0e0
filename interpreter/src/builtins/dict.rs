//! `Dict.*`: entries sorted by key.

use super::*;

#[inline(never)]
pub(super) fn call(args: &Args, callbacks: &mut dyn Callbacks) -> Result<Value, RuntimeError> {
    let builtin = args.builtin;
    use Builtin as B;
    Ok(match builtin {
        B::DictEmpty => Value::dict(BTreeMap::new()),
        B::DictGet => Value::option(args.dict(0)?.get(args.string(1)?).cloned()),
        B::DictSet => {
            let (entries, key) = (args.dict(0)?, args.string(1)?);
            if !entries.contains_key(key) {
                check_size(entries.len() + 1)?;
            }
            Value::Dict(entries.with(key, args.get(2)?.clone()))
        }
        B::DictRemove => {
            let (entries, key) = (args.dict(0)?, args.string(1)?);
            if entries.contains_key(key) { Value::Dict(entries.without_key(key)) } else { args.get(0)?.clone() }
        }
        B::DictHas => Value::Bool(args.dict(0)?.contains_key(args.string(1)?)),
        B::DictKeys => {
            let entries = args.dict(0)?;
            charge(callbacks, entries.len())?;
            reserve(callbacks, || list_bytes(entries.len().saturating_mul(2)))?;
            Value::list(entries.keys().map(|k| Value::string(k.as_str())).collect())
        }
        B::DictValues => {
            let entries = args.dict(0)?;
            charge(callbacks, entries.len())?;
            reserve(callbacks, || list_bytes(entries.len()))?;
            Value::list(entries.values().cloned().collect())
        }
        B::DictSize => Value::Int(args.dict(0)?.len() as i64),
        B::DictEntries => {
            let entries = args.dict(0)?;
            charge(callbacks, entries.len())?;
            Value::list(entries.iter().map(|(k, v)| entry(k, v.clone())).collect())
        }
        B::DictFromEntries => {
            let items = args.list(0)?;
            charge(callbacks, items.len())?;
            let mut entries = BTreeMap::new();
            for (i, item) in items.iter().enumerate() {
                match (item.field("key"), item.field("value")) {
                    (Some(Value::String(key)), Some(value)) => {
                        entries.insert(key.to_string(), value.clone());
                    }
                    _ => return Err(args.wrong_element(0, i, "an Entry", item)),
                }
            }
            Value::dict(entries)
        }
        B::DictMap => {
            let (entries, function) = (args.dict(0)?, args.get(1)?);
            charge(callbacks, entries.len())?;
            let mut mapped = BTreeMap::new();
            for (key, value) in entries.iter() {
                mapped.insert(key.clone(), callbacks.call(function, vec![value.clone()])?);
            }
            Value::dict(mapped)
        }
        B::DictFilter => {
            let entries = args.dict(0)?;
            charge(callbacks, entries.len())?;
            let mut kept = BTreeMap::new();
            for (key, value) in entries.iter() {
                if args.test(callbacks, 1, vec![Value::string(key.as_str()), value.clone()])? {
                    kept.insert(key.clone(), value.clone());
                }
            }
            Value::dict(kept)
        }
        B::DictMerge => {
            let (first, second) = (args.dict(0)?, args.dict(1)?);
            let added = second.keys().filter(|key| !first.contains_key(*key)).count();
            check_size(first.len() + added)?;
            charge(callbacks, second.len())?;
            let mut merged = imbl::OrdMap::clone(first);
            merged.extend(second.iter().map(|(k, v)| (k.clone(), v.clone())));
            Value::Dict(Dict::from(merged))
        }
        other => return Err(elsewhere(other)),
    })
}

fn entry(key: &str, value: Value) -> Value {
    Value::record("Entry", vec![("key".into(), Value::string(key)), ("value".into(), value)])
}
