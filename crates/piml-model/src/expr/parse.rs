//! Parser of the infix expression language.
//!
//! Precedence, loosest first: `+ -` (left), `* /` (left), unary minus, `^`
//! (right-associative), so `-x^2` is `-(x^2)` and `2^3^2` is `2^(3^2)`, as in
//! mathematics (and Fortran, Julia, Mathematica).
//!
//! Every pass over the tree (derivatives, simplification, printing, compiling,
//! units) recurses, so the parser bounds the depth of what it builds: nesting
//! (parentheses, function calls, signs, powers) stops at [`MAX_NESTING`]
//! levels, and a long chain such as a sum of 20,000 terms becomes a balanced
//! tree, log₂ n deep, instead of a left-leaning one n deep.

use super::ast::{BinOp, Expr, Func};

/// How deep parentheses, function calls, signs and powers may nest. Far
/// beyond any rate law, and shallow enough that every recursive pass over
/// the tree fits the 2 MiB stack of a worker thread.
pub const MAX_NESTING: usize = 200;

/// Chains of `+ -` or `* /` up to this many operands keep their written,
/// left-to-right shape: they print back as written and evaluate in written
/// order. Longer ones are balanced.
const LONGEST_LEFT_CHAIN: usize = 8;

/// Why an expression did not parse, and where (1-based character column).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} at column {column}")]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Num(f64),
    Name(String),
    Op(char),
    LParen,
    RParen,
    Comma,
}

fn describe(tok: Option<&Token>) -> String {
    match tok {
        None => "end of expression".into(),
        Some(Token::Num(v)) => format!("number {v}"),
        Some(Token::Name(n)) => format!("'{n}'"),
        Some(Token::Op(c)) => format!("'{c}'"),
        Some(Token::LParen) => "'('".into(),
        Some(Token::RParen) => "')'".into(),
        Some(Token::Comma) => "','".into(),
    }
}

fn tokenize(src: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            // Exponent: e or E, optional sign, digits.
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                    i = j;
                }
            }
            let text: String = chars[start..i].iter().collect();
            let value = text.parse::<f64>().map_err(|_| ParseError {
                column: col,
                message: format!("malformed number '{text}'"),
            })?;
            out.push((Token::Num(value), col));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((Token::Name(chars[start..i].iter().collect()), col));
        } else {
            let tok = match c {
                '+' | '-' | '*' | '/' | '^' => Token::Op(c),
                '(' => Token::LParen,
                ')' => Token::RParen,
                ',' => Token::Comma,
                _ => {
                    return Err(ParseError {
                        column: col,
                        message: format!("unexpected character '{c}'"),
                    });
                }
            };
            out.push((tok, col));
            i += 1;
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    pos: usize,
    end_column: usize,
    /// Levels of nesting open at `pos`.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn column(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map_or(self.end_column, |(_, c)| *c)
    }

    fn error<T>(&self, message: String) -> Result<T, ParseError> {
        Err(ParseError {
            column: self.column(),
            message,
        })
    }

    fn expect(&mut self, want: Token, what: &str) -> Result<(), ParseError> {
        if self.peek() == Some(&want) {
            self.pos += 1;
            Ok(())
        } else {
            self.error(format!("expected {what}, found {}", describe(self.peek())))
        }
    }

    /// Parses with `inner` one level deeper than the token just taken (a
    /// parenthesis, a sign, a `^`), or refuses past [`MAX_NESTING`] there.
    fn nested(
        &mut self,
        inner: impl FnOnce(&mut Self) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        if self.depth == MAX_NESTING {
            return Err(ParseError {
                column: self.tokens[self.pos - 1].1,
                message: format!("expression nested deeper than {MAX_NESTING} levels"),
            });
        }
        self.depth += 1;
        let e = inner(self);
        self.depth -= 1;
        e
    }

    /// sum := product (('+' | '-') product)*
    fn sum(&mut self) -> Result<Expr, ParseError> {
        let first = self.product()?;
        let mut rest = Vec::new();
        while let Some(Token::Op(c @ ('+' | '-'))) = self.peek() {
            let op = if *c == '+' { BinOp::Add } else { BinOp::Sub };
            self.pos += 1;
            rest.push((op, self.product()?));
        }
        Ok(chain(first, rest))
    }

    /// product := unary (('*' | '/') unary)*
    fn product(&mut self) -> Result<Expr, ParseError> {
        let first = self.unary()?;
        let mut rest = Vec::new();
        while let Some(Token::Op(c @ ('*' | '/'))) = self.peek() {
            let op = if *c == '*' { BinOp::Mul } else { BinOp::Div };
            self.pos += 1;
            rest.push((op, self.unary()?));
        }
        Ok(chain(first, rest))
    }

    /// unary := ('-' | '+') unary | power
    fn unary(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            Some(Token::Op('-')) => {
                self.pos += 1;
                let operand = self.nested(Self::unary)?;
                Ok(Expr::Neg(Box::new(operand)))
            }
            Some(Token::Op('+')) => {
                self.pos += 1;
                self.nested(Self::unary)
            }
            _ => self.power(),
        }
    }

    /// power := atom ('^' unary)?   — right-associative, and `2^-1` is allowed.
    fn power(&mut self) -> Result<Expr, ParseError> {
        let base = self.atom()?;
        if let Some(Token::Op('^')) = self.peek() {
            self.pos += 1;
            let exponent = self.nested(Self::unary)?;
            return Ok(Expr::bin(BinOp::Pow, base, exponent));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, ParseError> {
        let column = self.column();
        match self.peek().cloned() {
            Some(Token::Num(v)) => {
                self.pos += 1;
                Ok(Expr::Num(v))
            }
            Some(Token::LParen) => {
                self.pos += 1;
                let inner = self.nested(Self::sum)?;
                self.expect(Token::RParen, "')'")?;
                Ok(inner)
            }
            Some(Token::Name(name)) => {
                self.pos += 1;
                if self.peek() != Some(&Token::LParen) {
                    return Ok(Expr::Var(name));
                }
                let Some(func) = Func::from_name(&name) else {
                    let hint =
                        crate::suggest::did_you_mean(&name, Func::ALL.iter().map(|(_, n)| *n));
                    return Err(ParseError {
                        column,
                        message: format!("unknown function '{name}'{hint}"),
                    });
                };
                self.pos += 1;
                let mut args = Vec::new();
                if self.peek() != Some(&Token::RParen) {
                    args.push(self.nested(Self::sum)?);
                    while self.peek() == Some(&Token::Comma) {
                        self.pos += 1;
                        args.push(self.nested(Self::sum)?);
                    }
                }
                self.expect(Token::RParen, "',' or ')'")?;
                if args.len() != func.arity() {
                    return Err(ParseError {
                        column,
                        message: format!(
                            "{name}() takes {} argument{}, got {}",
                            func.arity(),
                            if func.arity() == 1 { "" } else { "s" },
                            args.len()
                        ),
                    });
                }
                Ok(Expr::Call(func, args))
            }
            other => self.error(format!(
                "expected a number, a name or '(', found {}",
                describe(other.as_ref())
            )),
        }
    }
}

/// `first op₁ t₁ op₂ t₂ …`, left-associative, as a tree: left-leaning as
/// written when short, balanced when long.
fn chain(first: Expr, rest: Vec<(BinOp, Expr)>) -> Expr {
    if rest.len() < LONGEST_LEFT_CHAIN {
        return rest
            .into_iter()
            .fold(first, |lhs, (op, rhs)| Expr::bin(op, lhs, rhs));
    }
    // The first operand counts as added (multiplied).
    let unit = match rest[0].0 {
        BinOp::Add | BinOp::Sub => BinOp::Add,
        _ => BinOp::Mul,
    };
    let mut operands = vec![(unit, first)];
    operands.extend(rest);
    balanced(operands, false)
}

/// The operands of a chain joined halves first: `a - b + c - d` becomes
/// `(a - b) + (c - d)`, and `a - b - c - d` becomes `(a - b) - (c + d)`, the
/// operators of a right half that is subtracted (divided by) inverted.
/// `inverted` says that the operators of `operands` (but the first) are to be
/// read inverted; the recursion is log₂ n deep.
fn balanced(mut operands: Vec<(BinOp, Expr)>, inverted: bool) -> Expr {
    if operands.len() == 1 {
        let (_, only) = operands.remove(0);
        return only;
    }
    let right = operands.split_off(operands.len() / 2);
    let op = if inverted {
        inverse(right[0].0)
    } else {
        right[0].0
    };
    let subtracts = matches!(op, BinOp::Sub | BinOp::Div);
    Expr::bin(
        op,
        balanced(operands, inverted),
        balanced(right, inverted != subtracts),
    )
}

fn inverse(op: BinOp) -> BinOp {
    match op {
        BinOp::Add => BinOp::Sub,
        BinOp::Sub => BinOp::Add,
        BinOp::Mul => BinOp::Div,
        BinOp::Div => BinOp::Mul,
        BinOp::Pow => BinOp::Pow,
    }
}

/// The expression `src` as an error message quotes it: whole when short, else
/// its start and its length, so that a long sum does not fill the terminal.
pub fn excerpt(src: &str) -> String {
    const SHOWN: usize = 60;
    let length = src.chars().count();
    if length <= SHOWN + 20 {
        return src.to_string();
    }
    let start: String = src.chars().take(SHOWN).collect();
    format!("{start}… ({length} characters)")
}

/// Parses an expression of the model language.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(src)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        end_column: src.chars().count() + 1,
        depth: 0,
    };
    if parser.peek().is_none() {
        return parser.error("empty expression".into());
    }
    let expr = parser.sum()?;
    if parser.pos < parser.tokens.len() {
        let found = describe(parser.peek());
        let message = if parser.peek() == Some(&Token::RParen) {
            "unbalanced ')'".to_string()
        } else {
            format!("unexpected {found} after a complete expression")
        };
        return parser.error(message);
    }
    Ok(expr)
}
