//! The order top-level functions are inferred in: strongly connected
//! components of the call graph, dependencies first.

use crate::syntax::ast::*;
use std::collections::HashMap;

/// Strongly connected components of the call graph among `functions`
/// (Tarjan), dependencies before dependents.
pub(super) fn components(functions: &[&FunctionDecl]) -> Vec<Vec<usize>> {
    let index_of: HashMap<&str, usize> =
        functions.iter().enumerate().map(|(i, decl)| (decl.name.text.as_str(), i)).collect();
    let edges: Vec<Vec<usize>> = functions
        .iter()
        .map(|decl| {
            let mut referenced = Vec::new();
            collect_variables(&decl.body, &mut |name| {
                if let Some(&target) = index_of.get(name) {
                    referenced.push(target);
                }
            });
            referenced
        })
        .collect();

    struct Tarjan<'e> {
        edges: &'e [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        counter: usize,
        output: Vec<Vec<usize>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, node: usize) {
            self.index[node] = Some(self.counter);
            self.low[node] = self.counter;
            self.counter += 1;
            self.stack.push(node);
            self.on_stack[node] = true;
            for &next in &self.edges[node] {
                match self.index[next] {
                    None => {
                        self.visit(next);
                        self.low[node] = self.low[node].min(self.low[next]);
                    }
                    Some(next_index) if self.on_stack[next] => self.low[node] = self.low[node].min(next_index),
                    Some(_) => {}
                }
            }
            if Some(self.low[node]) == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                component.sort();
                self.output.push(component);
            }
        }
    }
    let count = functions.len();
    let mut tarjan = Tarjan {
        edges: &edges,
        index: vec![None; count],
        low: vec![0; count],
        on_stack: vec![false; count],
        stack: Vec::new(),
        counter: 0,
        output: Vec::new(),
    };
    for node in 0..count {
        if tarjan.index[node].is_none() {
            tarjan.visit(node);
        }
    }
    tarjan.output
}

fn collect_variables(expr: &Expr, found: &mut impl FnMut(&str)) {
    if let ExprKind::Variable(name) = &expr.kind {
        found(name);
    }
    expr.for_each_child(|child| collect_variables(child, found));
}
