//! Reading the knowledge folder from disk: the only place the knowledge files are opened.

use crate::knowledge::SourceFile;
use std::path::{Path, PathBuf};

/// Errors reading the knowledge folder.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// The folder does not exist or is not a folder.
    #[error("the knowledge folder {0} does not exist; run migbot from the repository root or pass --knowledge DIR (MIGBOT_KNOWLEDGE)")]
    Missing(PathBuf),
    /// A file or folder could not be read.
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Reads `texts.toml`, `synonyms.toml`, `smalltalk.toml`, `gaps.toml` and `entries/*.toml`, sorted by path.
pub fn read_knowledge_dir(dir: &Path) -> Result<Vec<SourceFile>, FilesError> {
    if !dir.is_dir() {
        return Err(FilesError::Missing(dir.to_path_buf()));
    }
    let read = |path: PathBuf| -> Result<String, FilesError> {
        std::fs::read_to_string(&path).map_err(|source| FilesError::Read { path, source })
    };
    let mut files = Vec::new();
    for name in crate::knowledge::parse::SPECIAL_FILES {
        let path = dir.join(name);
        if path.exists() {
            files.push(SourceFile {
                path: name.to_string(),
                content: read(path)?,
            });
        }
    }
    let entries = dir.join("entries");
    if entries.is_dir() {
        let listing = std::fs::read_dir(&entries).map_err(|source| FilesError::Read {
            path: entries.clone(),
            source,
        })?;
        let mut names: Vec<String> = listing
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        names.sort();
        for n in names {
            files.push(SourceFile {
                path: format!("entries/{n}"),
                content: read(entries.join(&n))?,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
