//! `Option.*` and `Result.*`.

use super::*;

#[inline(never)]
pub(super) fn call(args: &Args, callbacks: &mut dyn Callbacks) -> Result<Value, RuntimeError> {
    let builtin = args.builtin;
    use Builtin as B;
    Ok(match builtin {
        B::OptionMap => match args.variant(0)? {
            ("Some", Some(value)) => Value::some(callbacks.call(args.get(1)?, vec![value.clone()])?),
            _ => args.get(0)?.clone(),
        },
        B::ResultMap => match args.variant(0)? {
            ("Ok", Some(value)) => Value::ok(callbacks.call(args.get(1)?, vec![value.clone()])?),
            _ => args.get(0)?.clone(),
        },
        B::OptionAndThen | B::ResultAndThen => match args.variant(0)? {
            ("Some" | "Ok", Some(value)) => callbacks.call(args.get(1)?, vec![value.clone()])?,
            _ => args.get(0)?.clone(),
        },
        B::OptionWithDefault | B::ResultWithDefault => match args.variant(0)? {
            ("Some" | "Ok", Some(value)) => value.clone(),
            _ => args.get(1)?.clone(),
        },
        B::OptionIsSome => Value::Bool(args.variant(0)?.0 == "Some"),
        B::OptionIsNone => Value::Bool(args.variant(0)?.0 == "None"),
        B::OptionToResult => match args.variant(0)? {
            ("Some", Some(value)) => Value::ok(value.clone()),
            _ => Value::error(args.get(1)?.clone()),
        },
        B::ResultMapError => match args.variant(0)? {
            ("Error", Some(error)) => Value::error(callbacks.call(args.get(1)?, vec![error.clone()])?),
            _ => args.get(0)?.clone(),
        },
        B::ResultIsOk => Value::Bool(args.variant(0)?.0 == "Ok"),
        B::ResultToOption => match args.variant(0)? {
            ("Ok", Some(value)) => Value::some(value.clone()),
            _ => Value::none(),
        },
        other => return Err(elsewhere(other)),
    })
}
