// The tests embed the migrations with `sqlx::migrate!`: a new migration must rebuild them.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
