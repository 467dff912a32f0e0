//! Code generation: a checked module → a WebAssembly module, validated.
//!
//! The generated code owns control flow and the scalars: `Int` is an `i64`,
//! `Float` an `f64`, `Bool` an `i32`, chosen by each expression's checked type
//! ([`Rep`]). Every other value is an `i32` handle to a value the guest
//! runtime holds (`runtime/guest`), built and read through its functions
//! ([`abi::Rt`]); the standard library runs there too. Polymorphic code works
//! on handles, so one body serves every instantiation; values are boxed and
//! unboxed where representations meet.
//!
//! What the module holds:
//! - one function per top-level function, taking and returning its
//!   parameters' representations, called directly;
//! - for each top-level function a uniform wrapper `(closure) -> handle`
//!   taking its arguments from the guest's argument stack, and one such
//!   function per lambda: these are what function values point to, in slots of
//!   the guest's function table from `host.table_base` on;
//! - one entry per handler, worker and cron, and an `init` run once per
//!   instance, also in table slots: the guest's `rt_main` calls `init` and an
//!   entry, so a run is one call from the host.
//!
//! Evaluation follows the interpreter exactly — the same order, the same step
//! charges (one per expression, including the same exceptions), the same call
//! depth accounting, the same error sites — so the two agree on every program;
//! the differential tests in `tests/` hold them to it.

pub mod abi;
mod function;

use crate::ast::{ItemKind, Module};
use crate::syntax::entry::EntryKind;
use crate::types::Checked;
use crate::types::ty::Type;
use abi::Rt;
use std::collections::{BTreeMap, HashMap};
use thiserror::Error;
use wasm_encoder::{
    CodeSection, ConstExpr, DataCountSection, DataSection, ElementSection, Elements, EntityType, Function,
    FunctionSection, GlobalSection, GlobalType, ImportSection, MemoryType, RefType, TableType, TypeSection, ValType,
};

#[derive(Debug, Clone, PartialEq, Error)]
pub enum CodegenError {
    /// Only checked code without errors is compiled.
    #[error("this code has errors; fix them before compiling it")]
    BrokenCode,
    /// A bug: what was generated is not valid WebAssembly.
    #[error("internal error: the generated module is invalid: {0}")]
    Invalid(String),
}

/// A compiled module and what the host needs to run it.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub wasm: Vec<u8>,
    /// How many slots of the guest's function table the module fills.
    pub table_slots: u32,
    /// The table slot of each entry, by its key ([`handler_entry`], …, [`INIT_ENTRY`]).
    /// Every entry is `(argument) -> value`.
    pub entries: BTreeMap<String, u32>,
    /// JSON for the guest: the type table and the type of each call site,
    /// for builtins that decode by type.
    pub metadata: Vec<u8>,
}

/// The key in [`Compiled::entries`] of the entry at position `item` of the
/// module's items. A handler's is `(request) -> response`, a worker's
/// `(event) -> ()`, a cron's `(ignored) -> ()`; a top-level function's is its
/// uniform wrapper, `(closure) -> result` with the arguments pushed on the
/// guest's argument stack and -1 as the closure.
pub fn entry_key(item: usize) -> String {
    format!("entry/{item}")
}

/// Run once per instance, before any entry: `(ignored) -> 0`.
pub const INIT_ENTRY: &str = "init";

/// How a value of some type is held by generated code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rep {
    Int,
    Float,
    Bool,
    Handle,
}

impl Rep {
    fn of(ty: &Type) -> Rep {
        match ty {
            Type::Con(name, arguments) if arguments.is_empty() => match name.as_str() {
                "Int" => Rep::Int,
                "Float" => Rep::Float,
                "Bool" => Rep::Bool,
                _ => Rep::Handle,
            },
            _ => Rep::Handle,
        }
    }

    fn val_type(self) -> ValType {
        match self {
            Rep::Int => ValType::I64,
            Rep::Float => ValType::F64,
            Rep::Bool | Rep::Handle => ValType::I32,
        }
    }
}

/// A top-level function: its direct form and its table slot (the wrapper's).
#[derive(Debug, Clone)]
struct GlobalFunction {
    index: u32,
    params: Vec<Rep>,
    result: Rep,
    slot: u32,
}

/// Globals of every compiled module, after the one imported (`table_base`).
const TABLE_BASE_GLOBAL: u32 = 0;
const COUNTERS_GLOBAL: u32 = 1;
const DATA_GLOBAL: u32 = 2;
const FIRST_STRING_GLOBAL: u32 = 3;

/// The module being built: functions by index, table slots, constants.
struct ModuleBuilder<'a> {
    checked: &'a Checked,
    types: Vec<(Vec<ValType>, Vec<ValType>)>,
    /// Defined functions: type index and body, in index order (after the imports).
    bodies: Vec<Option<(u32, Function)>>,
    /// Function indices in table-slot order.
    slots: Vec<u32>,
    functions: HashMap<&'a str, GlobalFunction>,
    strings: Vec<u8>,
    string_globals: HashMap<String, (u32, u32, u32)>,
    /// Lambdas whose functions are reserved but not yet generated.
    pending_lambdas: Vec<function::PendingLambda<'a>>,
    entries: BTreeMap<String, u32>,
    site_types: BTreeMap<u32, Type>,
}

impl<'a> ModuleBuilder<'a> {
    fn type_index(&mut self, params: Vec<ValType>, results: Vec<ValType>) -> u32 {
        let signature = (params, results);
        match self.types.iter().position(|known| *known == signature) {
            Some(index) => index as u32,
            None => {
                self.types.push(signature);
                self.types.len() as u32 - 1
            }
        }
    }

    /// Reserves a function index; its body comes with [`ModuleBuilder::define`].
    fn reserve(&mut self) -> u32 {
        self.bodies.push(None);
        Rt::ALL.len() as u32 + self.bodies.len() as u32 - 1
    }

    fn define(&mut self, index: u32, params: Vec<ValType>, results: Vec<ValType>, body: Function) {
        let type_index = self.type_index(params, results);
        self.bodies[index as usize - Rt::ALL.len()] = Some((type_index, body));
    }

    fn slot(&mut self, function: u32) -> u32 {
        self.slots.push(function);
        self.slots.len() as u32 - 1
    }

    /// The global caching the handle of a string constant (made on first use),
    /// with its offset and length in the constants' data.
    fn string_constant(&mut self, text: &str) -> (u32, u32, u32) {
        if let Some(found) = self.string_globals.get(text) {
            return *found;
        }
        let global = FIRST_STRING_GLOBAL + self.string_globals.len() as u32;
        let entry = (global, self.strings.len() as u32, text.len() as u32);
        self.strings.extend_from_slice(text.as_bytes());
        self.string_globals.insert(text.to_string(), entry);
        entry
    }
}

/// Compiles a checked module. Fails only for code with errors, or on a bug
/// (the result is validated).
pub fn compile(module: &Module, checked: &Checked) -> Result<Compiled, CodegenError> {
    if checked.errors.iter().any(|error| !error.is_warning()) {
        return Err(CodegenError::BrokenCode);
    }
    let mut builder = ModuleBuilder {
        checked,
        types: Vec::new(),
        bodies: Vec::new(),
        slots: Vec::new(),
        functions: HashMap::new(),
        strings: Vec::new(),
        string_globals: HashMap::new(),
        pending_lambdas: Vec::new(),
        entries: BTreeMap::new(),
        site_types: BTreeMap::new(),
    };
    // Every top-level function gets its index and slot first: bodies call each other.
    let mut wrappers = Vec::new();
    for (position, item) in module.items.iter().enumerate() {
        if let ItemKind::Function(decl) = &item.kind {
            let scheme = checked.functions.get(&decl.name.text).ok_or(CodegenError::BrokenCode)?;
            let Type::Fn(params, result) = &scheme.ty else { return Err(CodegenError::BrokenCode) };
            let index = builder.reserve();
            let wrapper = builder.reserve();
            let slot = builder.slot(wrapper);
            builder.entries.insert(entry_key(position), slot);
            let params = params.iter().map(Rep::of).collect();
            builder
                .functions
                .insert(decl.name.text.as_str(), GlobalFunction { index, params, result: Rep::of(result), slot });
            wrappers.push((decl, wrapper));
        }
    }
    for (decl, wrapper) in wrappers {
        function::global_function(&mut builder, decl)?;
        function::wrapper(&mut builder, decl, wrapper);
    }
    for entry in module.entries() {
        // Functions are called through their wrappers, made above.
        if let EntryKind::Function(_) = entry.kind {
            continue;
        }
        let index = function::entry(&mut builder, entry)?;
        let slot = builder.slot(index);
        builder.entries.insert(entry_key(entry.item), slot);
    }
    while let Some(lambda) = builder.pending_lambdas.pop() {
        function::lambda(&mut builder, lambda)?;
    }
    let init = builder.reserve();
    let init_body = function::init(&builder);
    builder.define(init, vec![ValType::I32], vec![ValType::I32], init_body);
    let slot = builder.slot(init);
    builder.entries.insert(INIT_ENTRY.to_string(), slot);
    let wasm = encode(&builder);
    validate(&wasm)?;
    let metadata = metadata(checked, &builder.site_types);
    Ok(Compiled { wasm, table_slots: builder.slots.len() as u32, entries: builder.entries, metadata })
}

fn metadata(checked: &Checked, sites: &BTreeMap<u32, Type>) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Metadata<'a> {
        table: &'a crate::types::table::TypeTable,
        sites: &'a BTreeMap<u32, Type>,
    }
    serde_json::to_vec(&Metadata { table: &checked.table, sites }).unwrap_or_default()
}

fn encode(builder: &ModuleBuilder) -> Vec<u8> {
    let mut types = TypeSection::new();
    for (params, results) in &builder.types {
        types.ty().function(params.iter().copied(), results.iter().copied());
    }
    // Import types come after the module's own; collect them first.
    let mut all_types = builder.types.clone();
    let mut import_types = Vec::new();
    for rt in Rt::ALL {
        let signature = (rt.params().to_vec(), rt.results().to_vec());
        let index = match all_types.iter().position(|known| *known == signature) {
            Some(index) => index,
            None => {
                types.ty().function(signature.0.iter().copied(), signature.1.iter().copied());
                all_types.push(signature);
                all_types.len() - 1
            }
        };
        import_types.push(index as u32);
    }

    let mut imports = ImportSection::new();
    for (rt, type_index) in Rt::ALL.iter().zip(import_types) {
        imports.import(abi::RUNTIME, rt.name(), EntityType::Function(type_index));
    }
    imports.import(
        abi::RUNTIME,
        abi::MEMORY,
        EntityType::Memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        }),
    );
    imports.import(
        abi::RUNTIME,
        abi::TABLE,
        EntityType::Table(TableType {
            element_type: RefType::FUNCREF,
            table64: false,
            minimum: 0,
            maximum: None,
            shared: false,
        }),
    );
    imports.import(
        abi::HOST,
        abi::TABLE_BASE,
        EntityType::Global(GlobalType { val_type: ValType::I32, mutable: false, shared: false }),
    );

    let mut functions = FunctionSection::new();
    let mut code = CodeSection::new();
    for (type_index, body) in builder.bodies.iter().flatten() {
        functions.function(*type_index);
        code.function(body);
    }

    let mut globals = GlobalSection::new();
    let mutable_i32 = GlobalType { val_type: ValType::I32, mutable: true, shared: false };
    globals.global(mutable_i32, &ConstExpr::i32_const(0)); // COUNTERS_GLOBAL
    globals.global(mutable_i32, &ConstExpr::i32_const(0)); // DATA_GLOBAL
    let mut strings: Vec<&(u32, u32, u32)> = builder.string_globals.values().collect();
    strings.sort();
    for _ in strings {
        globals.global(mutable_i32, &ConstExpr::i32_const(-1));
    }

    let mut elements = ElementSection::new();
    if !builder.slots.is_empty() {
        elements.active(
            Some(0),
            &ConstExpr::global_get(TABLE_BASE_GLOBAL),
            Elements::Functions(builder.slots.as_slice().into()),
        );
    }

    let mut data = DataSection::new();
    data.passive(builder.strings.iter().copied());

    let mut module = wasm_encoder::Module::new();
    module
        .section(&types)
        .section(&imports)
        .section(&functions)
        .section(&globals)
        .section(&elements)
        .section(&DataCountSection { count: 1 })
        .section(&code)
        .section(&data);
    module.finish()
}

fn validate(wasm: &[u8]) -> Result<(), CodegenError> {
    wasmparser::Validator::new().validate_all(wasm).map(drop).map_err(|error| CodegenError::Invalid(error.to_string()))
}
