//! `Random.int`, `Random.float`, `Random.uuid`.

use super::arguments::Arguments;
use super::{EffectError, MemoryEffects};
use crate::value::Value;
use gloam_language::Builtin;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RandomCall {
    /// Uniform in `low..=high`; an empty range is an error.
    Int { low: i64, high: i64 },
    /// Uniform in `[0, 1)`.
    Float,
    /// A version 4 UUID.
    Uuid,
}

pub(super) fn decode(args: &Arguments) -> Result<RandomCall, EffectError> {
    Ok(match args.0.builtin {
        Builtin::RandomInt => RandomCall::Int { low: args.int(0)?, high: args.int(1)? },
        Builtin::RandomFloat => RandomCall::Float,
        Builtin::RandomUuid => RandomCall::Uuid,
        _ => return Err(args.not_an_effect()),
    })
}

impl MemoryEffects {
    /// A seeded generator, so tests and examples are repeatable.
    pub(super) fn random(&mut self, call: RandomCall) -> Result<Value, EffectError> {
        match call {
            RandomCall::Int { low, high } => {
                if low > high {
                    return Err(EffectError::EmptyRange { low, high });
                }
                let span = (high as i128 - low as i128 + 1) as u128;
                let offset = (self.next_random() as u128 % span) as i128;
                Ok(Value::Int((low as i128 + offset) as i64))
            }
            RandomCall::Float => Ok(Value::Float((self.next_random() >> 11) as f64 / (1u64 << 53) as f64)),
            RandomCall::Uuid => Ok(Value::string(self.uuid())),
        }
    }

    /// xorshift64*.
    fn next_random(&mut self) -> u64 {
        let mut x = self.random_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.random_state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn uuid(&mut self) -> String {
        let high = self.next_random();
        let low = self.next_random();
        let bytes: Vec<u8> = high.to_be_bytes().into_iter().chain(low.to_be_bytes()).collect();
        let hex: String = bytes
            .iter()
            .enumerate()
            .map(|(i, byte)| match i {
                6 => format!("{:02x}", (byte & 0x0f) | 0x40),
                8 => format!("{:02x}", (byte & 0x3f) | 0x80),
                _ => format!("{byte:02x}"),
            })
            .collect();
        format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
    }
}
