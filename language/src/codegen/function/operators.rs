//! Unary and binary operators: on unboxed scalars where the types say so,
//! through the guest otherwise.

use super::{FunctionCompiler, site};
use crate::ast::*;
use crate::codegen::abi::{Rt, fail};
use crate::codegen::{CodegenError, Rep};
use wasm_encoder::{BlockType, InstructionSink, ValType};

impl<'a> FunctionCompiler<'_, 'a> {
    pub(super) fn binary(
        &mut self,
        id: ExprId,
        op: BinaryOp,
        left: &'a Expr,
        right: &'a Expr,
    ) -> Result<Rep, CodegenError> {
        if op == BinaryOp::And || op == BinaryOp::Or {
            self.expr(left, Rep::Bool)?;
            self.open_if(BlockType::Result(ValType::I32));
            if op == BinaryOp::And {
                self.expr(right, Rep::Bool)?;
                self.sink().else_().i32_const(0);
            } else {
                self.sink().i32_const(1).else_();
                self.expr(right, Rep::Bool)?;
            }
            self.close();
            return Ok(Rep::Bool);
        }
        let operands = (self.natural(left.id), self.natural(right.id));
        match operands {
            (Rep::Int, Rep::Int) | (Rep::Float, Rep::Float) if is_comparison(op) => {
                self.expr(left, operands.0)?;
                self.expr(right, operands.0)?;
                self.comparison(op, operands.0 == Rep::Float);
                Ok(Rep::Bool)
            }
            (Rep::Int, Rep::Int) if op != BinaryOp::Concat => self.int_binary(id, op, left, right),
            (Rep::Float, Rep::Float) if op != BinaryOp::Concat => self.float_binary(id, op, left, right),
            (Rep::Bool, Rep::Bool) if matches!(op, BinaryOp::Eq | BinaryOp::NotEq) => {
                self.expr(left, Rep::Bool)?;
                self.expr(right, Rep::Bool)?;
                let mut sink = self.sink();
                if op == BinaryOp::Eq {
                    sink.i32_eq()
                } else {
                    sink.i32_ne()
                };
                Ok(Rep::Bool)
            }
            _ => {
                let op_index = BinaryOp::ALL.iter().position(|candidate| *candidate == op).unwrap_or(0);
                self.sink().i32_const(op_index as i32);
                self.expr(left, Rep::Handle)?;
                self.expr(right, Rep::Handle)?;
                self.sink().i32_const(site(id));
                self.rt(Rt::Binary);
                Ok(Rep::Handle)
            }
        }
    }

    fn comparison(&mut self, op: BinaryOp, float: bool) {
        let mut sink = InstructionSink::new(&mut self.code);
        match (op, float) {
            (BinaryOp::Eq, false) => sink.i64_eq(),
            (BinaryOp::NotEq, false) => sink.i64_ne(),
            (BinaryOp::Less, false) => sink.i64_lt_s(),
            (BinaryOp::LessEq, false) => sink.i64_le_s(),
            (BinaryOp::Greater, false) => sink.i64_gt_s(),
            (BinaryOp::GreaterEq, false) => sink.i64_ge_s(),
            (BinaryOp::Eq, true) => sink.f64_eq(),
            (BinaryOp::NotEq, true) => sink.f64_ne(),
            (BinaryOp::Less, true) => sink.f64_lt(),
            (BinaryOp::LessEq, true) => sink.f64_le(),
            (BinaryOp::Greater, true) => sink.f64_gt(),
            (_, true) => sink.f64_ge(),
            (_, false) => sink.i64_ge_s(),
        };
    }

    /// Both operands, evaluated in order into new locals of `rep` (a scalar).
    fn operands(&mut self, left: &'a Expr, right: &'a Expr, rep: Rep) -> Result<(u32, u32), CodegenError> {
        let mut locals = [0; 2];
        for (slot, operand) in locals.iter_mut().zip([left, right]) {
            self.expr(operand, rep)?;
            *slot = self.local(rep.val_type());
            self.sink().local_set(*slot);
        }
        Ok((locals[0], locals[1]))
    }

    fn int_binary(&mut self, id: ExprId, op: BinaryOp, left: &'a Expr, right: &'a Expr) -> Result<Rep, CodegenError> {
        let op_index = BinaryOp::ALL.iter().position(|candidate| *candidate == op).unwrap_or(0) as i32;
        let (a, b) = self.operands(left, right, Rep::Int)?;
        match op {
            BinaryOp::Add | BinaryOp::Sub => {
                let result = self.local(ValType::I64);
                self.sink().local_get(a).local_get(b);
                let mut sink = self.sink();
                if op == BinaryOp::Add {
                    sink.i64_add()
                } else {
                    sink.i64_sub()
                };
                self.sink().local_set(result);
                // Signed overflow: the result's sign disagrees with what the operands allow.
                if op == BinaryOp::Add {
                    self.sink().local_get(a).local_get(result).i64_xor().local_get(b).local_get(result).i64_xor();
                } else {
                    self.sink().local_get(a).local_get(b).i64_xor().local_get(a).local_get(result).i64_xor();
                }
                self.sink().i64_and().i64_const(0).i64_lt_s();
                self.fail_if(fail::INT_OVERFLOW, id, op_index, Some(a), Some(b));
                self.sink().local_get(result);
            }
            BinaryOp::Mul => {
                self.sink().local_get(a).local_get(b).i32_const(site(id));
                self.rt(Rt::IntMul);
            }
            BinaryOp::Div | BinaryOp::Rem => {
                self.sink().local_get(b).i64_eqz();
                self.fail_if(fail::DIVISION_BY_ZERO, id, op_index, Some(a), Some(b));
                self.sink().local_get(a).i64_const(i64::MIN).i64_eq().local_get(b).i64_const(-1).i64_eq().i32_and();
                self.fail_if(fail::INT_OVERFLOW, id, op_index, Some(a), Some(b));
                self.sink().local_get(a).local_get(b);
                let mut sink = self.sink();
                if op == BinaryOp::Div {
                    sink.i64_div_s()
                } else {
                    sink.i64_rem_s()
                };
            }
            _ => self.fail(fail::BROKEN_CODE, id, 0, None, None),
        }
        Ok(Rep::Int)
    }

    fn float_binary(&mut self, id: ExprId, op: BinaryOp, left: &'a Expr, right: &'a Expr) -> Result<Rep, CodegenError> {
        let (a, b) = self.operands(left, right, Rep::Float)?;
        if op == BinaryOp::Div {
            self.sink().local_get(b).f64_const(0.0.into()).f64_eq();
            self.open_if(BlockType::Empty);
            // The message shows both operands: they go over as bits.
            let (a_bits, b_bits) = (self.local(ValType::I64), self.local(ValType::I64));
            self.sink().local_get(a).i64_reinterpret_f64().local_set(a_bits);
            self.sink().local_get(b).i64_reinterpret_f64().local_set(b_bits);
            self.fail(fail::FLOAT_DIVISION_BY_ZERO, id, 0, Some(a_bits), Some(b_bits));
            self.close();
        }
        self.sink().local_get(a).local_get(b);
        match op {
            BinaryOp::Add => self.sink().f64_add(),
            BinaryOp::Sub => self.sink().f64_sub(),
            BinaryOp::Mul => self.sink().f64_mul(),
            BinaryOp::Div => self.sink().f64_div(),
            _ => {
                self.fail(fail::BROKEN_CODE, id, 0, None, None);
                return Ok(Rep::Float);
            }
        };
        let result = self.local(ValType::F64);
        // Finite: x - x is 0 for finite x, NaN for infinities and NaN.
        self.sink().local_tee(result).local_get(result).f64_sub().f64_const(0.0.into()).f64_ne();
        self.fail_if(fail::NON_FINITE_FLOAT, id, 0, None, None);
        self.sink().local_get(result);
        Ok(Rep::Float)
    }

    pub(super) fn unary(&mut self, id: ExprId, op: UnaryOp, operand: &'a Expr) -> Result<Rep, CodegenError> {
        Ok(match (op, self.natural(operand.id)) {
            (UnaryOp::Not, _) => {
                self.expr(operand, Rep::Bool)?;
                self.sink().i32_eqz();
                Rep::Bool
            }
            (UnaryOp::Negate, Rep::Int) => {
                self.expr(operand, Rep::Int)?;
                let a = self.local(ValType::I64);
                self.sink().local_tee(a).i64_const(i64::MIN).i64_eq();
                self.fail_if(fail::NEGATE_OVERFLOW, id, 0, Some(a), None);
                self.sink().i64_const(0).local_get(a).i64_sub();
                Rep::Int
            }
            (UnaryOp::Negate, Rep::Float) => {
                self.expr(operand, Rep::Float)?;
                self.sink().f64_neg();
                Rep::Float
            }
            (UnaryOp::Negate, _) => {
                self.sink().i32_const(0);
                self.expr(operand, Rep::Handle)?;
                self.sink().i32_const(site(id));
                self.rt(Rt::Unary);
                Rep::Handle
            }
        })
    }
}

fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Less | BinaryOp::LessEq | BinaryOp::Greater | BinaryOp::GreaterEq
    )
}
