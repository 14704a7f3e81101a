//! JSON pointers (RFC 6901) to offending fields, built without allocating:
//! a pointer is rendered to text only when a problem is reported.

use serde::Serialize;

/// A location in the payload, as a chain of borrowed segments.
#[derive(Debug, Clone, Copy)]
pub enum Pointer<'a> {
    Root,
    Key(&'a Pointer<'a>, &'a str),
    Index(&'a Pointer<'a>, usize),
}

impl<'a> Pointer<'a> {
    pub fn key(&'a self, key: &'a str) -> Pointer<'a> {
        Pointer::Key(self, key)
    }

    pub fn index(&'a self, index: usize) -> Pointer<'a> {
        Pointer::Index(self, index)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Pointer::Root => {}
            Pointer::Key(parent, key) => {
                parent.write(out);
                out.push('/');
                // RFC 6901's escapes, `~` first.
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Pointer::Index(parent, index) => {
                parent.write(out);
                out.push('/');
                out.push_str(&index.to_string());
            }
        }
    }
}

/// One offending field: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub pointer: String,
    pub detail: String,
}

/// Every problem found in one payload, in the order found.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn push(&mut self, at: &Pointer<'_>, detail: impl Into<String>) {
        self.0.push(FieldError {
            pointer: at.render(),
            detail: detail.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }

    /// Every problem in pointer order (where members were visited, in no set
    /// order).
    pub fn into_sorted(self) -> Vec<FieldError> {
        let mut problems = self.0;
        problems.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_segments() {
        let root = Pointer::Root;
        let org = root.key("organization");
        let list = org.key("a/b~c");
        let item = list.index(3);
        assert_eq!(item.render(), "/organization/a~1b~0c/3");
        assert_eq!(root.render(), "");
    }
}
