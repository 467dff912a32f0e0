fn main() {
    let path = std::env::args().nth(1).expect("path");
    let source = std::fs::read_to_string(&path).expect("read");
    let analysis = gloam_language::analyze(&source);
    print!("{}", gloam_language::diagnostic::render_all(&analysis.diagnostics, &source, &path));
    for (name, scheme) in &analysis.checked.functions {
        println!("{name}: {}", scheme.ty);
    }
}
