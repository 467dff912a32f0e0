//! Types are graphs, not trees: `Pair(a, a)` holds the type of `a` once,
//! shared, so a few lines (`let a1 = Pair(a0, a0)`, `let a2 = Pair(a1, a1)`,
//! …) build a type whose tree doubles with every line while its graph grows
//! by one node. Every walk over types therefore meets each shared part once:
//! [`Seen`] for walks that look, [`Rebuild`] for walks that make a new type
//! (which shares in turn what the old one shared). What the checker builds
//! is also hash-consed ([`Interner`]): two copies of one polymorphic type,
//! instantiated apart and solved alike, become one again, or a type could
//! double as a graph too. [`Sizes`] counts a type as
//! the tree it stands for — what printing it, encoding it or walking it
//! without sharing would meet —, with sums that saturate; a declaration with
//! a type past [`MAX_TYPE_SIZE`] is rejected (`too-complex`), so whatever
//! reaches the interpreter, the code generator and the runtime is small as a
//! tree too.

use super::ty::{Type, Types};
use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The most nodes (named types, functions, variables) a type in a checked
/// program may have, counted as a tree. Past it the declaration is
/// `too-complex`. Written code stays far below (a thousand nested lambdas,
/// the nesting limit, make about 2,000); the code generator writes the type
/// of every call site out as a tree, which this keeps small.
pub const MAX_TYPE_SIZE: usize = 10_000;

/// A shared part of a type (a type's arguments, a function's result), held
/// while remembered so that its address stays its own for as long as it is a key.
type Held = Arc<dyn Any + Send + Sync>;

/// What a walk remembers a shared part by.
pub(super) fn address<T>(part: &Arc<T>) -> usize {
    Arc::as_ptr(part) as *const () as usize
}

/// The shared parts a walk has met.
#[derive(Default)]
pub(super) struct Seen {
    addresses: HashSet<usize>,
    held: Vec<Held>,
}

impl Seen {
    /// Whether this part is met for the first time.
    pub(super) fn first<T: Any + Send + Sync>(&mut self, part: &Arc<T>) -> bool {
        let first = self.addresses.insert(address(part));
        if first {
            self.held.push(part.clone());
        }
        first
    }

    /// The types one level inside `ty` whose shared part is met for the
    /// first time: a named type's arguments, a function's parameters and result.
    pub(super) fn new_parts<'t>(&mut self, ty: &'t Type) -> Vec<&'t Type> {
        let mut parts = Vec::new();
        match ty {
            Type::Con(_, args) if self.first(args) => parts.extend(args.iter()),
            Type::Fn(params, result) => {
                if self.first(params) {
                    parts.extend(params.iter());
                }
                if self.first(result) {
                    parts.push(&**result);
                }
            }
            Type::Con(..) | Type::Var(_) | Type::Generic(_) => {}
        }
        parts
    }
}

/// What a [`Rebuild`] does at a variable or a generic.
pub(super) enum Leaf {
    Keep,
    /// Puts this type there, as it is.
    Replace(Type),
    /// Puts this type there, rebuilt in turn (a variable's binding).
    Follow(Type),
}

/// Makes a type from another by changing its variables or generics
/// ([`Leaf`]), each shared part once; a part with nothing to change is kept,
/// not copied. One `Rebuild` may serve several types, as long as what `leaf`
/// answers does not change meanwhile.
pub(super) struct Rebuild<'i, F> {
    leaf: F,
    types: HashMap<usize, (Types, Types)>,
    results: HashMap<usize, (Arc<Type>, Arc<Type>)>,
    interner: Option<&'i Interner>,
}

impl<'i, F: FnMut(&Type) -> Leaf> Rebuild<'i, F> {
    pub(super) fn new(leaf: F) -> Self {
        Rebuild { leaf, types: HashMap::new(), results: HashMap::new(), interner: None }
    }

    /// Makes every part it builds or keeps the interner's one.
    pub(super) fn interning(self, interner: &'i Interner) -> Self {
        Rebuild { interner: Some(interner), ..self }
    }

    pub(super) fn ty(&mut self, ty: &Type) -> Type {
        // Types nest as deep as the code that makes them: grow the stack.
        crate::stack::grow(64 * 1024, 1024 * 1024, || match ty {
            Type::Var(_) | Type::Generic(_) => match (self.leaf)(ty) {
                Leaf::Keep => ty.clone(),
                Leaf::Replace(replacement) => replacement,
                Leaf::Follow(replacement) => self.ty(&replacement),
            },
            Type::Con(name, args) => Type::Con(name.clone(), self.types(args)),
            Type::Fn(params, result) => Type::Fn(self.types(params), self.result(result)),
        })
    }

    fn types(&mut self, types: &Types) -> Types {
        if let Some((_, done)) = self.types.get(&address(types)) {
            return done.clone();
        }
        let rebuilt: Vec<Type> = types.iter().map(|ty| self.ty(ty)).collect();
        let done = match self.interner {
            Some(interner) => interner.types(rebuilt),
            None if rebuilt.iter().zip(types.iter()).all(|(new, old)| same(new, old)) => types.clone(),
            None => rebuilt.into(),
        };
        self.types.insert(address(types), (types.clone(), done.clone()));
        done
    }

    fn result(&mut self, result: &Arc<Type>) -> Arc<Type> {
        if let Some((_, done)) = self.results.get(&address(result)) {
            return done.clone();
        }
        let rebuilt = self.ty(result);
        let done = match self.interner {
            Some(interner) => interner.result(rebuilt),
            None if same(&rebuilt, result) => result.clone(),
            None => Arc::new(rebuilt),
        };
        self.results.insert(address(result), (result.clone(), done.clone()));
        done
    }
}

/// One node of a type, its parts by address: equal keys of interned parts
/// are equal types.
#[derive(PartialEq, Eq, Hash)]
enum Node {
    Con(String, usize),
    Fn(usize, usize),
    Var(u32),
    Generic(u32),
}

impl Node {
    fn of(ty: &Type) -> Node {
        match ty {
            Type::Con(name, args) => Node::Con(name.clone(), address(args)),
            Type::Fn(params, result) => Node::Fn(address(params), address(result)),
            Type::Var(var) => Node::Var(*var),
            Type::Generic(index) => Node::Generic(*index),
        }
    }
}

/// One shared part for each type the checker builds (hash-consing), for
/// the whole check: parts are made from interned parts, so comparing their
/// addresses compares them. Holds every part it hands out.
#[derive(Default)]
pub(super) struct Interner {
    types: RefCell<HashMap<Vec<Node>, Types>>,
    results: RefCell<HashMap<Node, Arc<Type>>>,
}

impl Interner {
    fn types(&self, types: Vec<Type>) -> Types {
        let key: Vec<Node> = types.iter().map(Node::of).collect();
        self.types.borrow_mut().entry(key).or_insert_with(|| Arc::new(types)).clone()
    }

    fn result(&self, result: Type) -> Arc<Type> {
        self.results.borrow_mut().entry(Node::of(&result)).or_insert_with(|| Arc::new(result)).clone()
    }
}

/// Whether two types are the same node: the same leaf, or the same shared parts.
fn same(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::Con(n1, a1), Type::Con(n2, a2)) => n1 == n2 && Arc::ptr_eq(a1, a2),
        (Type::Fn(p1, r1), Type::Fn(p2, r2)) => Arc::ptr_eq(p1, p2) && Arc::ptr_eq(r1, r2),
        (Type::Var(x), Type::Var(y)) | (Type::Generic(x), Type::Generic(y)) => x == y,
        _ => false,
    }
}

/// Tree sizes of types, each shared part counted once and remembered, so
/// that many types sharing parts cost their graph. Sizes saturate just past
/// [`MAX_TYPE_SIZE`]: a larger type is only "too large". The types measured
/// must not change while this is kept (bindings applied).
#[derive(Default)]
pub(super) struct Sizes {
    known: HashMap<usize, (Held, usize)>,
}

/// What every size saturates at.
const SATURATED: usize = MAX_TYPE_SIZE + 1;

impl Sizes {
    /// The number of nodes of `ty` as a tree, or [`MAX_TYPE_SIZE`]` + 1` if more.
    pub(super) fn of(&mut self, ty: &Type) -> usize {
        crate::stack::grow(64 * 1024, 1024 * 1024, || match ty {
            Type::Var(_) | Type::Generic(_) => 1,
            Type::Con(_, args) => total(&[1, self.types(args)]),
            Type::Fn(params, result) => {
                let params = self.types(params);
                let result = self.remembered(result, |sizes| sizes.of(result));
                total(&[1, params, result])
            }
        })
    }

    fn types(&mut self, types: &Types) -> usize {
        self.remembered(types, |sizes| types.iter().fold(0, |sum, ty| total(&[sum, sizes.of(ty)])))
    }

    fn remembered<T: Any + Send + Sync>(&mut self, part: &Arc<T>, measure: impl FnOnce(&mut Self) -> usize) -> usize {
        if let Some((_, size)) = self.known.get(&address(part)) {
            return *size;
        }
        let size = measure(self);
        self.known.insert(address(part), (part.clone(), size));
        size
    }
}

/// A sum of sizes, saturated.
fn total(sizes: &[usize]) -> usize {
    sizes.iter().fold(0, |sum: usize, size| sum.saturating_add(*size)).min(SATURATED)
}
