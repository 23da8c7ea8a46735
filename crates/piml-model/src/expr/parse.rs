//! Parser of the infix expression language.
//!
//! Precedence, loosest first: `+ -` (left), `* /` (left), unary minus, `^`
//! (right-associative), so `-x^2` is `-(x^2)` and `2^3^2` is `2^(3^2)`, as in
//! mathematics (and Fortran, Julia, Mathematica).

use super::ast::{BinOp, Expr, Func};

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

    /// sum := product (('+' | '-') product)*
    fn sum(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.product()?;
        while let Some(Token::Op(c @ ('+' | '-'))) = self.peek() {
            let op = if *c == '+' { BinOp::Add } else { BinOp::Sub };
            self.pos += 1;
            lhs = Expr::bin(op, lhs, self.product()?);
        }
        Ok(lhs)
    }

    /// product := unary (('*' | '/') unary)*
    fn product(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.unary()?;
        while let Some(Token::Op(c @ ('*' | '/'))) = self.peek() {
            let op = if *c == '*' { BinOp::Mul } else { BinOp::Div };
            self.pos += 1;
            lhs = Expr::bin(op, lhs, self.unary()?);
        }
        Ok(lhs)
    }

    /// unary := ('-' | '+') unary | power
    fn unary(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            Some(Token::Op('-')) => {
                self.pos += 1;
                Ok(Expr::Neg(Box::new(self.unary()?)))
            }
            Some(Token::Op('+')) => {
                self.pos += 1;
                self.unary()
            }
            _ => self.power(),
        }
    }

    /// power := atom ('^' unary)?   — right-associative, and `2^-1` is allowed.
    fn power(&mut self) -> Result<Expr, ParseError> {
        let base = self.atom()?;
        if let Some(Token::Op('^')) = self.peek() {
            self.pos += 1;
            let exponent = self.unary()?;
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
                let inner = self.sum()?;
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
                    args.push(self.sum()?);
                    while self.peek() == Some(&Token::Comma) {
                        self.pos += 1;
                        args.push(self.sum()?);
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

/// Parses an expression of the model language.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(src)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        end_column: src.chars().count() + 1,
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
