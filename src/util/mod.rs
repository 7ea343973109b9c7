//! Small leaf helpers shared by every stage: file locks, the embedded data files, random ids.
//! Nothing here imports a stage.

pub mod duration;
pub mod embedded;
pub mod id;
pub mod lock;
pub mod text;

pub use embedded::{embedded_file, embedded_files};
pub use lock::FileLock;
pub use text::{for_each_line_lossy, last_lines, lines_lossy, read_lossy};
