//! The module's functions: each top-level function's direct form and its
//! uniform wrapper, the entries (handlers, workers, crons), lambdas, `init`.

use super::{FunctionCompiler, Local, PendingLambda};
use crate::ast::*;
use crate::codegen::abi::Rt;
use crate::codegen::{COUNTERS_GLOBAL, CodegenError, DATA_GLOBAL, ModuleBuilder, Rep};
use crate::syntax::entry::Entry;
use wasm_encoder::{Function, InstructionSink, ValType};

/// A top-level function's direct form.
pub(in crate::codegen) fn global_function<'a>(
    module: &mut ModuleBuilder<'a>,
    decl: &'a FunctionDecl,
) -> Result<(), CodegenError> {
    let function = module.functions[decl.name.text.as_str()].clone();
    let mut compiler = FunctionCompiler::new(module, &function.params, function.result, false);
    for (index, (param, rep)) in decl.parameters.iter().zip(&function.params).enumerate() {
        compiler.scope.push(Local { name: param.name.text.clone(), index: index as u32, rep: *rep });
    }
    let body = compiler.body(&decl.body)?;
    let params = function.params.iter().map(|rep| rep.val_type()).collect();
    module.define(function.index, params, vec![function.result.val_type()], body);
    Ok(())
}

/// A top-level function's uniform form, for calls through a function value.
pub(in crate::codegen) fn wrapper(module: &mut ModuleBuilder, decl: &FunctionDecl, index: u32) {
    let function = module.functions[decl.name.text.as_str()].clone();
    let mut compiler = FunctionCompiler::new(module, &[Rep::Handle], Rep::Handle, false);
    let arguments: Vec<u32> = function.params.iter().map(|rep| compiler.local(rep.val_type())).collect();
    for (argument, rep) in arguments.iter().zip(&function.params).rev() {
        compiler.rt(match rep {
            Rep::Int => Rt::PopInt,
            Rep::Float => Rt::PopFloat,
            Rep::Bool => Rt::PopBool,
            Rep::Handle => Rt::Pop,
        });
        compiler.sink().local_set(*argument);
    }
    for argument in &arguments {
        compiler.sink().local_get(*argument);
    }
    compiler.sink().call(function.index);
    compiler.coerce(function.result, Rep::Handle);
    compiler.sink().end();
    let body = compiler.finish();
    module.define(index, vec![ValType::I32], vec![ValType::I32], body);
}

/// A handler's, worker's or cron's body: `(argument) -> value`, the argument
/// bound to the entry's input (a cron has none and ignores it).
pub(in crate::codegen) fn entry<'a>(module: &mut ModuleBuilder<'a>, entry: Entry<'a>) -> Result<u32, CodegenError> {
    let index = module.reserve();
    let mut compiler = FunctionCompiler::new(module, &[Rep::Handle], Rep::Handle, entry.is_handler());
    if let Some(name) = entry.input() {
        compiler.scope.push(Local { name: name.to_string(), index: 0, rep: Rep::Handle });
    }
    let code = compiler.body(entry.body)?;
    module.define(index, vec![ValType::I32], vec![ValType::I32], code);
    Ok(index)
}

/// A lambda: `(closure) -> result`, its captured values read from the
/// closure, its arguments popped from the guest's argument stack.
pub(in crate::codegen) fn lambda<'a>(
    module: &mut ModuleBuilder<'a>,
    lambda: PendingLambda<'a>,
) -> Result<(), CodegenError> {
    let mut compiler = FunctionCompiler::new(module, &[Rep::Handle], Rep::Handle, false);
    for (position, name) in lambda.captured.iter().enumerate() {
        let local = compiler.local(ValType::I32);
        compiler.sink().local_get(0).i32_const(position as i32);
        compiler.rt(Rt::Captured);
        compiler.sink().local_set(local);
        compiler.scope.push(Local { name: name.clone(), index: local, rep: Rep::Handle });
    }
    let arguments: Vec<u32> = lambda.parameters.iter().map(|_| compiler.local(ValType::I32)).collect();
    for argument in arguments.iter().rev() {
        compiler.rt(Rt::Pop);
        compiler.sink().local_set(*argument);
    }
    for (param, local) in lambda.parameters.iter().zip(arguments) {
        compiler.scope.push(Local { name: param.text.clone(), index: local, rep: Rep::Handle });
    }
    let code = compiler.body(lambda.body)?;
    module.define(lambda.index, vec![ValType::I32], vec![ValType::I32], code);
    Ok(())
}

/// Per instance: where the counters are, and the string constants copied in.
/// `(ignored) -> 0`, like the entries, so the guest calls it the same way.
pub(in crate::codegen) fn init(module: &ModuleBuilder) -> Function {
    let mut code = Vec::new();
    let mut sink = InstructionSink::new(&mut code);
    sink.call(Rt::Counters as u32).global_set(COUNTERS_GLOBAL);
    let length = module.strings.len() as i32;
    if length > 0 {
        sink.i32_const(length)
            .call(Rt::Alloc as u32)
            .global_set(DATA_GLOBAL)
            .global_get(DATA_GLOBAL)
            .i32_const(0)
            .i32_const(length)
            .memory_init(0, 0);
    }
    sink.i32_const(0).end();
    let mut function = Function::new([]);
    function.raw(code);
    function
}
