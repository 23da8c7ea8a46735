//! The parsed file with what every message needs: where a node is, its element and id.

use roxmltree::{Document, Node};

use crate::error::{Error, Place};

/// An SBML file: its name (for messages) and its XML tree.
pub(crate) struct Source<'a, 'input> {
    pub file: &'a str,
    pub doc: &'a Document<'input>,
}

impl<'a, 'input> Source<'a, 'input> {
    pub fn place(&self, node: Node) -> Place {
        let pos = self.doc.text_pos_at(node.range().start);
        Place {
            file: self.file.to_string(),
            line: pos.row,
            column: pos.col,
        }
    }

    /// The id a message names the node by: its `id`, or what it assigns (`variable`, `symbol`).
    fn id_of(node: Node) -> Option<String> {
        ["id", "variable", "symbol", "species"]
            .iter()
            .find_map(|a| node.attribute(*a))
            .map(str::to_string)
    }

    /// The element as a message names it: its tag, and for a part of a formula (which has no
    /// id) the element with an id it belongs to: `piecewise in assignmentRule 'EGF'`.
    fn element(node: Node) -> String {
        let tag = node.tag_name().name();
        if Self::id_of(node).is_some() {
            return tag.to_string();
        }
        match node.ancestors().find(|a| Self::id_of(*a).is_some()) {
            Some(owner) => format!(
                "{tag} in {} '{}'",
                owner.tag_name().name(),
                Self::id_of(owner).unwrap_or_default()
            ),
            None => tag.to_string(),
        }
    }

    pub fn invalid(&self, node: Node, why: impl Into<String>) -> Error {
        Error::Invalid {
            place: self.place(node),
            element: Self::element(node),
            id: Self::id_of(node),
            why: why.into(),
        }
    }

    pub fn unsupported(&self, node: Node, why: impl Into<String>) -> Error {
        Error::Unsupported {
            place: self.place(node),
            element: Self::element(node),
            id: Self::id_of(node),
            why: why.into(),
        }
    }

    /// A required attribute, or an error naming it.
    pub fn attribute(&self, node: Node<'a, 'input>, name: &str) -> Result<&'a str, Error> {
        node.attribute(name)
            .ok_or_else(|| self.invalid(node, format!("no '{name}' attribute")))
    }

    /// An optional numeric attribute; present but not a number is an error.
    pub fn number(&self, node: Node, name: &str) -> Result<Option<f64>, Error> {
        node.attribute(name)
            .map(|v| {
                v.trim().parse::<f64>().map_err(|_| {
                    self.invalid(node, format!("attribute '{name}': '{v}' is not a number"))
                })
            })
            .transpose()
    }

    /// An optional boolean attribute (`true`/`false`, `1`/`0`), with its default.
    pub fn flag(&self, node: Node, name: &str, default: bool) -> Result<bool, Error> {
        match node.attribute(name).map(str::trim) {
            None => Ok(default),
            Some("true" | "1") => Ok(true),
            Some("false" | "0") => Ok(false),
            Some(v) => Err(self.invalid(
                node,
                format!("attribute '{name}': '{v}' is not true or false"),
            )),
        }
    }
}

/// The element children of `node`.
pub(crate) fn elements<'a, 'input>(
    node: Node<'a, 'input>,
) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(Node::is_element)
}

/// The first element child named `name`.
pub(crate) fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    elements(node).find(|c| c.tag_name().name() == name)
}

/// The elements `<list><item/>…</list>` of `node`'s child `list`, if any.
pub(crate) fn list<'a, 'input>(
    node: Node<'a, 'input>,
    list: &str,
    item: &'static str,
) -> impl Iterator<Item = Node<'a, 'input>> {
    child(node, list)
        .into_iter()
        .flat_map(elements)
        .filter(move |c| c.tag_name().name() == item)
}
