//! One function's code: expressions and patterns → instructions.
//!
//! Mirrors `interpreter/src/eval.rs` step for step; where the two could
//! differ (what is charged, in which order operands are evaluated, which
//! expression an error is reported at) the interpreter is the reference.
//! Names are not looked up here: each is compiled by what the checker
//! resolved it to (`Checked::resolution`).
//!
//! This file holds the compiler's state and its building blocks;
//! `expression.rs` compiles expressions (names, calls, closures, `?`),
//! `operators.rs` unary and binary operators, `pattern.rs` `match` and
//! `let` patterns, `entries.rs` the module's functions (top-level
//! functions, their wrappers, entries, lambdas, `init`).

mod entries;
mod expression;
mod operators;
mod pattern;

pub(super) use entries::{entry, global_function, init, lambda, wrapper};

use super::abi::{self, Rt, fail};
use super::{COUNTERS_GLOBAL, CodegenError, DATA_GLOBAL, ModuleBuilder, Rep};
use crate::ast::*;
use crate::types::ty::Type;
use wasm_encoder::{BlockType, Function, InstructionSink, MemArg, MemArgTarget, ValType};

/// A lambda met while compiling a body: its function index is reserved, its
/// code is generated after the body's.
pub(super) struct PendingLambda<'a> {
    index: u32,
    parameters: &'a [Name],
    body: &'a Expr,
    captured: Vec<String>,
}

struct Local {
    name: String,
    index: u32,
    rep: Rep,
}

struct FunctionCompiler<'b, 'a> {
    module: &'b mut ModuleBuilder<'a>,
    param_count: u32,
    locals: Vec<ValType>,
    code: Vec<u8>,
    scope: Vec<Local>,
    /// Open blocks; a label is the depth just inside its block.
    depth: u32,
    /// The function body's block: `?` returns early by branching out of it.
    exit: u32,
    /// `?` on an `Error` answers 400 in a handler's own body.
    is_handler: bool,
    result: Rep,
    step_scratch: Option<u32>,
    /// The height of the guest's argument stack when the body started, for
    /// `?`: returning early must drop what the body had pushed so far.
    stack_height: Option<u32>,
}

const fn memory(offset: u64, align: u32) -> MemArg {
    MemArg { offset, align, target: MemArgTarget::Memory(0), ordering: None }
}

fn site(id: ExprId) -> i32 {
    id.0 as i32
}

impl<'b, 'a> FunctionCompiler<'b, 'a> {
    fn new(module: &'b mut ModuleBuilder<'a>, params: &[Rep], result: Rep, is_handler: bool) -> Self {
        FunctionCompiler {
            module,
            param_count: params.len() as u32,
            locals: Vec::new(),
            code: Vec::new(),
            scope: Vec::new(),
            depth: 0,
            exit: 0,
            is_handler,
            result,
            step_scratch: None,
            stack_height: None,
        }
    }

    fn sink(&mut self) -> InstructionSink<'_> {
        InstructionSink::new(&mut self.code)
    }

    fn local(&mut self, ty: ValType) -> u32 {
        self.locals.push(ty);
        self.param_count + self.locals.len() as u32 - 1
    }

    fn rt(&mut self, function: Rt) {
        self.sink().call(function as u32);
    }

    fn open_block(&mut self, ty: BlockType) -> u32 {
        self.sink().block(ty);
        self.depth += 1;
        self.depth
    }

    fn open_if(&mut self, ty: BlockType) {
        self.sink().if_(ty);
        self.depth += 1;
    }

    fn close(&mut self) {
        self.sink().end();
        self.depth -= 1;
    }

    fn br(&mut self, label: u32) {
        let relative = self.depth - label;
        self.sink().br(relative);
    }

    fn br_if(&mut self, label: u32) {
        let relative = self.depth - label;
        self.sink().br_if(relative);
    }

    /// Compiles a whole body into the function's outer block and ends it.
    fn body(mut self, body: &'a Expr) -> Result<Function, CodegenError> {
        if contains_try(body) {
            let height = self.local(ValType::I32);
            self.rt(Rt::StackHeight);
            self.sink().local_set(height);
            self.stack_height = Some(height);
        }
        let result = self.result;
        self.exit = self.open_block(BlockType::Result(result.val_type()));
        self.expr(body, result)?;
        self.close();
        self.sink().end();
        Ok(self.finish())
    }

    fn finish(self) -> Function {
        let mut function = Function::new_with_locals_types(self.locals);
        function.raw(self.code);
        function
    }

    // ---- Building blocks -------------------------------------------------------

    /// One step of the budget, as the interpreter charges each expression.
    fn charge(&mut self, id: ExprId) {
        let scratch = match self.step_scratch {
            Some(local) => local,
            None => {
                let local = self.local(ValType::I64);
                self.step_scratch = Some(local);
                local
            }
        };
        self.sink()
            .global_get(COUNTERS_GLOBAL)
            .global_get(COUNTERS_GLOBAL)
            .i64_load(memory(abi::REMAINING_STEPS, 3))
            .i64_const(1)
            .i64_sub()
            .local_tee(scratch)
            .i64_store(memory(abi::REMAINING_STEPS, 3))
            .local_get(scratch)
            .i64_const(0)
            .i64_lt_s();
        self.fail_if(fail::STEP_LIMIT, id, 0, None, None);
    }

    /// Stops with a failure when the `i32` on the stack is true.
    fn fail_if(&mut self, kind: i32, id: ExprId, op: i32, a: Option<u32>, b: Option<u32>) {
        self.open_if(BlockType::Empty);
        self.fail(kind, id, op, a, b);
        self.close();
    }

    /// Stops with a failure; `a` and `b` are `i64` locals for the message.
    fn fail(&mut self, kind: i32, id: ExprId, op: i32, a: Option<u32>, b: Option<u32>) {
        self.sink().i32_const(kind).i32_const(site(id)).i32_const(op);
        for operand in [a, b] {
            match operand {
                Some(local) => self.sink().local_get(local),
                None => self.sink().i64_const(0),
            };
        }
        self.rt(Rt::Fail);
        self.sink().unreachable();
    }

    fn coerce(&mut self, from: Rep, to: Rep) {
        match (from, to) {
            _ if from == to => {}
            (Rep::Int, Rep::Handle) => self.rt(Rt::Int),
            (Rep::Float, Rep::Handle) => self.rt(Rt::Float),
            (Rep::Bool, Rep::Handle) => self.rt(Rt::Bool),
            (Rep::Handle, Rep::Int) => self.rt(Rt::AsInt),
            (Rep::Handle, Rep::Float) => self.rt(Rt::AsFloat),
            (Rep::Handle, Rep::Bool) => self.rt(Rt::AsBool),
            // Scalars of different types never meet in checked code; box and unbox.
            (from, to) => {
                self.coerce(from, Rep::Handle);
                self.coerce(Rep::Handle, to);
            }
        }
    }

    /// The handle of a string constant, made on first use.
    fn string(&mut self, text: &str) {
        let (global, offset, length) = self.module.string_constant(text);
        self.sink().global_get(global).i32_const(-1).i32_eq();
        self.open_if(BlockType::Empty);
        self.sink().global_get(DATA_GLOBAL).i32_const(offset as i32).i32_add().i32_const(length as i32);
        self.rt(Rt::String);
        self.sink().global_set(global);
        self.close();
        self.sink().global_get(global);
    }

    fn push(&mut self) {
        self.rt(Rt::Push);
    }

    /// Pushes what is on the stack, held as `rep`, onto the guest's argument
    /// stack (scalars go straight there, without a handle).
    fn push_as(&mut self, rep: Rep) {
        self.rt(match rep {
            Rep::Int => Rt::PushInt,
            Rep::Float => Rt::PushFloat,
            Rep::Bool => Rt::PushBool,
            Rep::Handle => Rt::Push,
        });
    }

    /// Compiles `expr` onto the guest's argument stack.
    fn expr_pushed(&mut self, expr: &'a Expr) -> Result<(), CodegenError> {
        let rep = self.emit(expr)?;
        self.push_as(rep);
        Ok(())
    }

    fn type_of(&self, id: ExprId) -> &'a Type {
        self.module.checked.type_of(id)
    }

    fn natural(&self, id: ExprId) -> Rep {
        Rep::of(self.type_of(id))
    }

    fn record_site(&mut self, id: ExprId) {
        let ty = self.type_of(id).clone();
        self.module.site_types.insert(id.0, ty);
    }
}

/// Whether a body uses `?` (its own, not its lambdas').
fn contains_try(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Try(_) => true,
        ExprKind::Lambda { .. } => false,
        _ => {
            let mut found = false;
            expr.for_each_child(|child| found = found || contains_try(child));
            found
        }
    }
}
