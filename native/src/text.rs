//! Per-article text steps, natively, with the same output as their Python paths: character
//! mappings (`normalize` in service/text/normalize.py, the source registry's punctuation
//! blanking), the entity stage's padded text and word table (service/entities/patterns.py), the
//! whitespace-collapsed UTF-8 text of the content hash, character counts per class (language
//! identification). The tables (which characters change, what `\w` or `\s` is) come from
//! Python at load time (service/text/chars.py).
//!
//! Text is read as code points (`PyUnicode_AsUCS4Copy`), so any str works, lone surrogates too,
//! and offsets are Python's; new strings are made from UTF-32 with "surrogatepass".

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use crate::{bits, has};

const DELETE: u32 = u32::MAX;
const BMP: usize = 0x10000;

/// The code points of `text`: the buffer `PyUnicode_AsUCS4Copy` makes, read in place and freed
/// on drop (no second copy: every step below reads each article once).
pub(crate) struct CodePoints {
    buf: *mut ffi::Py_UCS4,
    len: usize,
}

impl std::ops::Deref for CodePoints {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        unsafe { std::slice::from_raw_parts(self.buf as *const u32, self.len) }
    }
}

impl Drop for CodePoints {
    fn drop(&mut self) {
        unsafe { ffi::PyMem_Free(self.buf as *mut std::ffi::c_void) }
    }
}

pub(crate) fn code_points(py: Python<'_>, text: &Bound<'_, PyString>) -> PyResult<CodePoints> {
    unsafe {
        let buf = ffi::PyUnicode_AsUCS4Copy(text.as_ptr());
        if buf.is_null() {
            return Err(PyErr::fetch(py));
        }
        let len = ffi::PyUnicode_GetLength(text.as_ptr()).max(0) as usize;
        Ok(CodePoints { buf, len })
    }
}

/// A str from code points.
fn from_code_points<'py>(py: Python<'py>, chars: &[u32]) -> PyResult<Bound<'py, PyString>> {
    let bytes: Vec<u8> = chars.iter().flat_map(|c| c.to_le_bytes()).collect();
    let mut order: std::ffi::c_int = -1; // little-endian
    unsafe {
        let obj = ffi::PyUnicode_DecodeUTF32(
            bytes.as_ptr() as *const std::ffi::c_char,
            bytes.len() as ffi::Py_ssize_t,
            c"surrogatepass".as_ptr(),
            &mut order,
        );
        Ok(Bound::from_owned_ptr_or_err(py, obj)?.downcast_into_unchecked())
    }
}

/// A character mapping (normalize's; the registry's punctuation blanking): each code point below
/// 0x10000 is kept, replaced by one code point or deleted; the others are kept.
#[pyclass(module = "news_enricher_native", frozen)]
pub struct CharMap {
    table: Vec<u32>,
}

#[pymethods]
impl CharMap {
    /// `changes`: (code point, replacement code point, or -1 to delete it), code points < 0x10000.
    #[new]
    fn new(changes: Vec<(u32, i64)>) -> PyResult<Self> {
        let mut table: Vec<u32> = (0..BMP as u32).collect();
        for (c, to) in changes {
            if c as usize >= BMP || to >= 0x110000 {
                return Err(PyValueError::new_err(format!("CharMap: {c:#x} -> {to}: outside the table")));
            }
            table[c as usize] = if to < 0 { DELETE } else { to as u32 };
        }
        Ok(CharMap { table })
    }

    /// (the mapped text, positions in `text` of the deleted characters, ascending).
    fn apply<'py>(&self, py: Python<'py>, text: &Bound<'py, PyString>) -> PyResult<(Bound<'py, PyString>, Vec<usize>)> {
        self.map(py, text)
    }

    /// (the mapped text, its offset map when characters were deleted, else None): the map as
    /// native-endian int64s, for each character of the mapped text its position in `text`, then
    /// len(text) (`array("q", ...)` reads it without a Python int per character).
    fn apply_with_origin<'py>(
        &self, py: Python<'py>, text: &Bound<'py, PyString>,
    ) -> PyResult<(Bound<'py, PyString>, Option<Bound<'py, PyBytes>>)> {
        let (out, deleted) = self.map(py, text)?;
        if deleted.is_empty() {
            return Ok((out, None));
        }
        let n = text.len()?;
        let mut origin: Vec<u8> = Vec::with_capacity(8 * (n + 1 - deleted.len()));
        let mut gone = deleted.iter().peekable();
        for i in 0..=n {
            if gone.peek() == Some(&&i) {
                gone.next();
                continue;
            }
            origin.extend_from_slice(&(i as i64).to_ne_bytes());
        }
        Ok((out, Some(PyBytes::new(py, &origin))))
    }
}

impl CharMap {
    fn map<'py>(&self, py: Python<'py>, text: &Bound<'py, PyString>) -> PyResult<(Bound<'py, PyString>, Vec<usize>)> {
        let chars = code_points(py, text)?;
        let mut out = Vec::with_capacity(chars.len());
        let mut deleted = Vec::new();
        let mut changed = false;
        for (i, &c) in chars.iter().enumerate() {
            let to = if (c as usize) < BMP { self.table[c as usize] } else { c };
            if to == DELETE {
                deleted.push(i);
            } else {
                changed |= to != c;
                out.push(to);
            }
        }
        if !changed && deleted.is_empty() {
            return Ok((text.clone(), deleted));
        }
        Ok((from_code_points(py, &out)?, deleted))
    }
}

/// The entity stage's word table: `\w` as Python's re defines it, as a bitmap over all code
/// points (computed by the interpreter's re, as for the tagger).
#[pyclass(module = "news_enricher_native", frozen)]
pub struct WordTable {
    word: Vec<u8>,
}

#[pymethods]
impl WordTable {
    #[new]
    fn new(word_bits: &[u8]) -> PyResult<Self> {
        Ok(WordTable { word: bits(word_bits, "word_bits")? })
    }

    /// (" " + `folded` with every character that is neither `\w` nor a space as a space + " ",
    /// [(start, end, word) of every run of `\w` characters]): `Gazetteer.padded` and
    /// `words_from_padded` in one pass.
    fn padded_words<'py>(
        &self, py: Python<'py>, folded: &Bound<'py, PyString>,
    ) -> PyResult<(Bound<'py, PyString>, Bound<'py, PyList>)> {
        let chars = code_points(py, folded)?;
        let mut padded = Vec::with_capacity(chars.len() + 2);
        padded.push(' ' as u32);
        let mut runs: Vec<(usize, usize)> = Vec::new();
        let mut start = usize::MAX; // start of the current word, MAX: none
        for (i, &c) in chars.iter().enumerate() {
            let word = char::from_u32(c).is_some_and(|ch| has(&self.word, ch));
            padded.push(if word || c == ' ' as u32 { c } else { ' ' as u32 });
            if word {
                if start == usize::MAX {
                    start = i;
                }
            } else if start != usize::MAX {
                runs.push((start, i));
                start = usize::MAX;
            }
        }
        if start != usize::MAX {
            runs.push((start, chars.len()));
        }
        padded.push(' ' as u32);
        let mut table = Vec::with_capacity(runs.len());
        for (s, e) in runs {
            let word = unsafe {
                let obj = ffi::PyUnicode_Substring(folded.as_ptr(), s as ffi::Py_ssize_t, e as ffi::Py_ssize_t);
                Bound::from_owned_ptr_or_err(py, obj)?
            };
            table.push(PyTuple::new(py, [s.into_pyobject(py)?.into_any(), e.into_pyobject(py)?.into_any(), word])?);
        }
        Ok((from_code_points(py, &padded)?, PyList::new(py, table)?))
    }
}

/// Whitespace as Python's str.split() defines it (a bitmap over all code points, from Python).
#[pyclass(module = "news_enricher_native", frozen)]
pub struct Spaces {
    space: Vec<u8>,
}

#[pymethods]
impl Spaces {
    #[new]
    fn new(space_bits: &[u8]) -> PyResult<Self> {
        Ok(Spaces { space: bits(space_bits, "space_bits")? })
    }

    /// `" ".join(text.split()).encode()`, or None when `text` holds a lone surrogate (it has no
    /// UTF-8 form: the caller's Python path then raises as it would).
    fn joined_utf8<'py>(&self, py: Python<'py>, text: &Bound<'py, PyString>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let chars = code_points(py, text)?;
        let mut out = String::with_capacity(chars.len() * 2);
        let mut pending_space = false;
        for &c in chars.iter() {
            let Some(ch) = char::from_u32(c) else { return Ok(None) };
            if has(&self.space, ch) {
                pending_space = !out.is_empty();
            } else {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(ch);
            }
        }
        Ok(Some(PyBytes::new(py, out.as_bytes())))
    }
}

/// How many characters of a text fall in each of a few classes (bitmaps over all code points,
/// from Python's re), in one pass.
#[pyclass(module = "news_enricher_native", frozen)]
pub struct CharCounts {
    classes: Vec<Vec<u8>>,
}

#[pymethods]
impl CharCounts {
    #[new]
    fn new(class_bits: Vec<Vec<u8>>) -> PyResult<Self> {
        let classes = class_bits.iter().map(|b| bits(b, "class_bits")).collect::<PyResult<Vec<_>>>()?;
        Ok(CharCounts { classes })
    }

    /// The number of code points of `text` in each class, in the classes' order.
    fn counts(&self, py: Python<'_>, text: &Bound<'_, PyString>) -> PyResult<Vec<usize>> {
        let chars = code_points(py, text)?;
        let mut out = vec![0usize; self.classes.len()];
        for &c in chars.iter() {
            let (i, bit) = ((c as usize) >> 3, 1u8 << (c & 7));
            for (k, class) in self.classes.iter().enumerate() {
                if class[i] & bit != 0 {
                    out[k] += 1;
                }
            }
        }
        Ok(out)
    }
}
