//! The official forms, compiled into the binary from `survey-forms/` by `build.rs`, so that the
//! program needs no file beside it. `forms.dir` may add forms and newer versions at run time
//! (`FormCatalog::with_added`).

include!(concat!(env!("OUT_DIR"), "/official_forms.rs"));
