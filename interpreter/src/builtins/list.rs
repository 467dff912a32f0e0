//! `List.*`.

use super::*;

#[inline(never)]
pub(super) fn call(args: &Args, site: &CallSite, callbacks: &mut dyn Callbacks) -> Result<Value, RuntimeError> {
    let builtin = args.builtin;
    use Builtin as B;
    Ok(match builtin {
        B::ListLength => Value::Int(args.list(0)?.len() as i64),
        B::ListIsEmpty => Value::Bool(args.list(0)?.is_empty()),
        B::ListHead => Value::option(args.list(0)?.front().cloned()),
        B::ListTail => {
            let items = args.list(0)?;
            if items.is_empty() { Value::none() } else { Value::some(Value::List(items.from_index(1))) }
        }
        B::ListLast => Value::option(args.list(0)?.back().cloned()),
        B::ListGet => {
            let (items, index) = (args.list(0)?, args.int(1)?);
            Value::option(usize::try_from(index).ok().and_then(|i| items.get(i)).cloned())
        }
        B::ListPush => {
            let items = args.list(0)?;
            check_size(items.len() + 1)?;
            Value::List(items.pushed(args.get(1)?.clone()))
        }
        B::ListAppend => {
            let (first, second) = (args.list(0)?, args.list(1)?);
            check_size(first.len() + second.len())?;
            charge(callbacks, first.len() + second.len())?;
            Value::List(first.concat(second))
        }
        B::ListConcat => {
            let lists = args.list(0)?;
            let mut size = 0usize;
            for (i, list) in lists.iter().enumerate() {
                let Value::List(items) = list else { return Err(args.wrong_element(0, i, "a List", list)) };
                size = size.saturating_add(items.len());
            }
            check_size(size)?;
            charge(callbacks, lists.len() + size)?;
            let mut flat = List::default();
            for list in lists.iter() {
                if let Value::List(items) = list {
                    flat = flat.concat(items);
                }
            }
            Value::List(flat)
        }
        B::ListMap => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            charge(callbacks, items.len())?;
            reserve(callbacks, || list_bytes(items.len()))?;
            let mut mapped = Vec::with_capacity(items.len());
            for item in items.iter() {
                mapped.push(callbacks.call(function, vec![item.clone()])?);
            }
            Value::list(mapped)
        }
        B::ListMapWithIndex => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            charge(callbacks, items.len())?;
            reserve(callbacks, || list_bytes(items.len()))?;
            let mut mapped = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                mapped.push(callbacks.call(function, vec![Value::Int(i as i64), item.clone()])?);
            }
            Value::list(mapped)
        }
        B::ListFilter => {
            let items = args.list(0)?;
            charge(callbacks, items.len())?;
            let mut kept = Vec::new();
            for item in items.iter() {
                if args.test(callbacks, 1, vec![item.clone()])? {
                    kept.push(item.clone());
                }
            }
            Value::list(kept)
        }
        B::ListFilterMap => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            charge(callbacks, items.len())?;
            let mut kept = Vec::new();
            for item in items.iter() {
                match callbacks.call(function, vec![item.clone()])? {
                    Value::Variant(variant) if variant.case == "None" => {}
                    Value::Variant(variant) if variant.case == "Some" && variant.payload.len() == 1 => {
                        kept.extend(variant.payload.first().cloned());
                    }
                    other => return Err(args.wrong_result(1, "an Option", &other)),
                }
            }
            Value::list(kept)
        }
        B::ListFold => {
            let (items, function) = (args.list(0)?, args.get(2)?);
            charge(callbacks, items.len())?;
            let mut accumulator = args.get(1)?.clone();
            for item in items.iter() {
                accumulator = callbacks.call(function, vec![accumulator, item.clone()])?;
            }
            accumulator
        }
        B::ListReverse => {
            let items = args.list(0)?;
            charge(callbacks, items.len())?;
            reserve(callbacks, || list_bytes(items.len()))?;
            Value::list(items.iter().rev().cloned().collect())
        }
        B::ListSort => {
            let items = args.list(0)?;
            charge(callbacks, sort_cost(items.len()))?;
            reserve(callbacks, || list_bytes(items.len()))?;
            let mut items = items.to_vec();
            items.sort_by(compare);
            Value::list(items)
        }
        B::ListSortBy => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            charge(callbacks, sort_cost(items.len()))?;
            reserve(callbacks, || list_bytes(items.len().saturating_mul(2)))?;
            let mut keyed = Vec::with_capacity(items.len());
            for item in items.iter() {
                keyed.push((callbacks.call(function, vec![item.clone()])?, item.clone()));
            }
            keyed.sort_by(|(a, _), (b, _)| compare(a, b));
            Value::list(keyed.into_iter().map(|(_, item)| item).collect())
        }
        B::ListRange => {
            let (low, high) = (args.int(0)?, args.int(1)?);
            if low > high {
                Value::list(Vec::new())
            } else {
                let count = (i128::from(high) - i128::from(low) + 1) as u128;
                let count = usize::try_from(count).unwrap_or(usize::MAX);
                check_size(count)?;
                charge(callbacks, count)?;
                reserve(callbacks, || list_bytes(count))?;
                Value::list((low..=high).map(Value::Int).collect())
            }
        }
        B::ListContains => {
            let (items, wanted) = (args.list(0)?, args.get(1)?);
            no_function(wanted)?;
            let mut found = false;
            for item in items.iter() {
                charge(callbacks, 1)?;
                // As `==`: comparing with a value that holds a function is an error.
                no_function(item)?;
                if item == wanted {
                    found = true;
                    break;
                }
            }
            Value::Bool(found)
        }
        B::ListAny | B::ListAll | B::ListFind => {
            let items = args.list(0)?;
            let mut found = None;
            for item in items.iter() {
                charge(callbacks, 1)?;
                let holds = args.test(callbacks, 1, vec![item.clone()])?;
                // `any` and `find` stop at the first true, `all` at the first false.
                if holds != (builtin == B::ListAll) {
                    found = Some(item.clone());
                    break;
                }
            }
            match builtin {
                B::ListAny => Value::Bool(found.is_some()),
                B::ListAll => Value::Bool(found.is_none()),
                _ => Value::option(found),
            }
        }
        B::ListTake => {
            let (items, count) = (args.list(0)?, args.int(1)?);
            let count = usize::try_from(count).unwrap_or(0).min(items.len());
            charge(callbacks, count)?;
            Value::List(items.first_items(count))
        }
        B::ListDrop => {
            let (items, count) = (args.list(0)?, args.int(1)?);
            let count = usize::try_from(count).unwrap_or(0).min(items.len());
            charge(callbacks, items.len() - count)?;
            Value::List(items.from_index(count))
        }
        B::ListSum => {
            let items = args.list(0)?;
            charge(callbacks, items.len())?;
            let floats = match items.front() {
                Some(first) => matches!(first, Value::Float(_)),
                // `List.sum([])` is `0` or `0.0` by the type it was checked at.
                None => matches!(site.result_type, Type::Con(name, _) if name == "Float"),
            };
            if floats {
                let mut total = 0.0;
                for (i, item) in items.iter().enumerate() {
                    let Value::Float(f) = item else { return Err(args.wrong_element(0, i, "a Float", item)) };
                    total += f;
                }
                finite(total)?
            } else {
                let mut total: i64 = 0;
                for (i, item) in items.iter().enumerate() {
                    let Value::Int(n) = item else { return Err(args.wrong_element(0, i, "an Int", item)) };
                    total = total.checked_add(*n).ok_or_else(|| overflow(format!("List.sum: {total} + {n}")))?;
                }
                Value::Int(total)
            }
        }
        B::ListRepeat => {
            let (value, count) = (args.get(0)?, args.int(1)?);
            let Ok(count) = usize::try_from(count) else {
                return Err(fail(builtin, format!("cannot repeat {count} times")));
            };
            check_size(count)?;
            charge(callbacks, count)?;
            reserve(callbacks, || list_bytes(count))?;
            Value::list(vec![value.clone(); count])
        }
        B::ListUnique => {
            let items = args.list(0)?;
            let mut kept: Vec<Value> = Vec::new();
            // Indexes into `kept`, by structural hash.
            let mut seen: HashMap<u64, Vec<usize>> = HashMap::new();
            for item in items.iter() {
                no_function(item)?;
                let mut state = DefaultHasher::new();
                hash_value(item, &mut state);
                let bucket = seen.entry(state.finish()).or_default();
                charge(callbacks, 1 + bucket.len())?;
                if !bucket.iter().any(|&index| kept[index] == *item) {
                    bucket.push(kept.len());
                    kept.push(item.clone());
                }
            }
            Value::list(kept)
        }
        B::ListGroupBy => {
            let (items, function) = (args.list(0)?, args.get(1)?);
            charge(callbacks, items.len())?;
            let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            for item in items.iter() {
                let key = match callbacks.call(function, vec![item.clone()])? {
                    Value::String(key) => key,
                    other => return Err(args.wrong_result(1, "a String", &other)),
                };
                groups.entry(key.to_string()).or_default().push(item.clone());
            }
            Value::dict(groups.into_iter().map(|(k, v)| (k, Value::list(v))).collect())
        }
        other => return Err(elsewhere(other)),
    })
}

/// A structural hash consistent with `==` on values without functions
/// (`0.0 == -0.0`, so both hash alike), for `List.unique`.
fn hash_value(value: &Value, state: &mut DefaultHasher) {
    gloam_language::stack::grow(64 * 1024, 1024 * 1024, || match value {
        Value::Int(n) => {
            0u8.hash(state);
            n.hash(state);
        }
        Value::Float(f) => {
            1u8.hash(state);
            (if *f == 0.0 { 0.0f64 } else { *f }).to_bits().hash(state);
        }
        Value::Bool(b) => {
            2u8.hash(state);
            b.hash(state);
        }
        Value::String(s) => {
            3u8.hash(state);
            s.hash(state);
        }
        Value::Char(c) => {
            4u8.hash(state);
            c.hash(state);
        }
        Value::Unit => 5u8.hash(state),
        Value::List(items) => {
            6u8.hash(state);
            items.len().hash(state);
            for item in items.iter() {
                hash_value(item, state);
            }
        }
        Value::Dict(entries) => {
            7u8.hash(state);
            entries.len().hash(state);
            for (key, item) in entries.iter() {
                key.hash(state);
                hash_value(item, state);
            }
        }
        Value::Record(record) => {
            8u8.hash(state);
            record.type_name.hash(state);
            for (name, item) in &record.fields {
                name.hash(state);
                hash_value(item, state);
            }
        }
        Value::Variant(variant) => {
            9u8.hash(state);
            variant.type_name.hash(state);
            variant.case.hash(state);
            for item in &variant.payload {
                hash_value(item, state);
            }
        }
        Value::Function(_) => 10u8.hash(state),
        Value::Datastore(name) => {
            11u8.hash(state);
            name.hash(state);
        }
        Value::Worker(name) => {
            12u8.hash(state);
            name.hash(state);
        }
        // Every Secret hashes alike: its value must not steer anything.
        Value::Secret(_) => 13u8.hash(state),
    })
}

/// Steps charged for sorting `n` elements: about n·log₂(n) comparisons.
fn sort_cost(n: usize) -> usize {
    n.saturating_mul((usize::BITS - n.leading_zeros()) as usize)
}
