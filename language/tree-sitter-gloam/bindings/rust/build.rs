fn main() {
    let src_dir = std::path::Path::new("src");
    let mut build = cc::Build::new();
    build.include(src_dir).std("c11").warnings(false);
    build.file(src_dir.join("parser.c"));
    println!("cargo:rerun-if-changed=src/parser.c");
    build.compile("tree-sitter-gloam");
}
