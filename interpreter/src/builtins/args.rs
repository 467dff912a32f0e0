//! Arguments by position and kind.

use super::Callbacks;
use crate::error::{ErrorKind, RuntimeError};
use crate::value::{Dict, List, Value};
use gloam_language::Builtin;

/// Arguments by position and kind; a wrong kind means the checker let broken code through.
pub(super) struct Args {
    pub(super) builtin: Builtin,
    pub(super) values: Vec<Value>,
}

impl Args {
    pub(super) fn get(&self, index: usize) -> Result<&Value, RuntimeError> {
        self.values.get(index).ok_or_else(|| {
            let message = format!("{}: missing argument {}", self.builtin.name(), index + 1);
            ErrorKind::IllTyped(message).into()
        })
    }

    pub(super) fn wrong(&self, index: usize, expected: &str) -> RuntimeError {
        let found = self.values.get(index).map_or("nothing", Value::kind);
        let message = format!("{}: argument {} should be {expected}, found {found}", self.builtin.name(), index + 1);
        ErrorKind::IllTyped(message).into()
    }

    /// An element of a list (or dict) argument of the wrong kind.
    pub(super) fn wrong_element(&self, index: usize, element: usize, expected: &str, found: &Value) -> RuntimeError {
        let message = format!(
            "{}: element {} of argument {} should be {expected}, found {}",
            self.builtin.name(),
            element + 1,
            index + 1,
            found.kind()
        );
        ErrorKind::IllTyped(message).into()
    }

    /// A function argument that returned the wrong kind of value.
    pub(super) fn wrong_result(&self, index: usize, expected: &str, found: &Value) -> RuntimeError {
        let message = format!(
            "{}: the function (argument {}) should return {expected}, returned {}",
            self.builtin.name(),
            index + 1,
            found.kind()
        );
        ErrorKind::IllTyped(message).into()
    }

    pub(super) fn int(&self, index: usize) -> Result<i64, RuntimeError> {
        match self.get(index)? {
            Value::Int(n) => Ok(*n),
            _ => Err(self.wrong(index, "an Int")),
        }
    }

    pub(super) fn float(&self, index: usize) -> Result<f64, RuntimeError> {
        match self.get(index)? {
            Value::Float(f) => Ok(*f),
            _ => Err(self.wrong(index, "a Float")),
        }
    }

    pub(super) fn bool(&self, index: usize) -> Result<bool, RuntimeError> {
        match self.get(index)? {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.wrong(index, "a Bool")),
        }
    }

    pub(super) fn string(&self, index: usize) -> Result<&str, RuntimeError> {
        match self.get(index)? {
            Value::String(s) => Ok(s),
            _ => Err(self.wrong(index, "a String")),
        }
    }

    pub(super) fn char(&self, index: usize) -> Result<char, RuntimeError> {
        match self.get(index)? {
            Value::Char(c) => Ok(*c),
            _ => Err(self.wrong(index, "a Char")),
        }
    }

    pub(super) fn list(&self, index: usize) -> Result<&List, RuntimeError> {
        match self.get(index)? {
            Value::List(items) => Ok(items),
            _ => Err(self.wrong(index, "a List")),
        }
    }

    pub(super) fn dict(&self, index: usize) -> Result<&Dict, RuntimeError> {
        match self.get(index)? {
            Value::Dict(entries) => Ok(entries),
            _ => Err(self.wrong(index, "a Dict")),
        }
    }

    /// The case and payload of a variant argument.
    pub(super) fn variant(&self, index: usize) -> Result<(&str, Option<&Value>), RuntimeError> {
        match self.get(index)? {
            Value::Variant(variant) => Ok((variant.case.as_str(), variant.payload.first())),
            _ => Err(self.wrong(index, "a variant")),
        }
    }

    /// Calls the function argument at `index` and expects a Bool back.
    pub(super) fn test(
        &self,
        callbacks: &mut dyn Callbacks,
        index: usize,
        arguments: Vec<Value>,
    ) -> Result<bool, RuntimeError> {
        match callbacks.call(self.get(index)?, arguments)? {
            Value::Bool(b) => Ok(b),
            other => Err(self.wrong_result(index, "a Bool", &other)),
        }
    }
}
