// The built-in phases and blueprints are embedded in the binary: rebuild when they change,
// including when a new blueprint folder is added.
fn main() {
    println!("cargo:rerun-if-changed=phases");
    println!("cargo:rerun-if-changed=blueprints");
}
