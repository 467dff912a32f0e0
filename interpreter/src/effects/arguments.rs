//! An effect call's arguments read by position, with errors naming the
//! function: what each capability's decoding uses.

use super::{EffectCall, EffectError};
use crate::value::{Dict, Value};

pub(super) struct Arguments<'a>(pub(super) &'a EffectCall);

impl<'a> Arguments<'a> {
    pub(super) fn get(&self, index: usize) -> Result<&'a Value, EffectError> {
        let function = self.0.builtin.name();
        self.0.arguments.get(index).ok_or(EffectError::MissingArgument { function, position: index + 1 })
    }

    pub(super) fn wrong(&self, index: usize, expected: &'static str) -> EffectError {
        let found = self.0.arguments.get(index).map_or("nothing", Value::kind);
        EffectError::WrongArgument { function: self.0.builtin.name(), position: index + 1, expected, found }
    }

    pub(super) fn text(&self, index: usize) -> Result<&'a str, EffectError> {
        match self.get(index)? {
            Value::String(text) => Ok(text),
            _ => Err(self.wrong(index, "a String")),
        }
    }

    pub(super) fn int(&self, index: usize) -> Result<i64, EffectError> {
        match self.get(index)? {
            Value::Int(value) => Ok(*value),
            _ => Err(self.wrong(index, "an Int")),
        }
    }

    pub(super) fn dict(&self, index: usize) -> Result<&'a Dict, EffectError> {
        match self.get(index)? {
            Value::Dict(entries) => Ok(entries),
            _ => Err(self.wrong(index, "a Dict")),
        }
    }

    /// The call's function is not an effect of the capability decoding it.
    pub(super) fn not_an_effect(&self) -> EffectError {
        EffectError::NotAnEffect(self.0.builtin.name())
    }
}
