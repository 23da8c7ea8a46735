//! The expression tree of the model language.

use std::collections::BTreeSet;

/// A function of the model language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Func {
    Exp,
    Log,
    Sqrt,
    Sin,
    Cos,
    Tanh,
    Abs,
    Min,
    Max,
    Pow,
    /// `mm(s, vmax, km)` = vmax·s/(km + s), Michaelis–Menten.
    Mm,
    /// `hill(s, vmax, k, n)` = vmax·sⁿ/(kⁿ + sⁿ).
    Hill,
    /// `sign(x)`: −1, 0 or 1; the derivative of `abs`.
    Sign,
    /// `step(x)`: 1 for x > 0, ½ at 0, 0 otherwise; the derivative of `min` and `max`.
    Step,
}

impl Func {
    /// Every function with its name, for parsing and for "did you mean" hints.
    pub const ALL: [(Func, &'static str); 14] = [
        (Func::Exp, "exp"),
        (Func::Log, "log"),
        (Func::Sqrt, "sqrt"),
        (Func::Sin, "sin"),
        (Func::Cos, "cos"),
        (Func::Tanh, "tanh"),
        (Func::Abs, "abs"),
        (Func::Min, "min"),
        (Func::Max, "max"),
        (Func::Pow, "pow"),
        (Func::Mm, "mm"),
        (Func::Hill, "hill"),
        (Func::Sign, "sign"),
        (Func::Step, "step"),
    ];

    pub fn from_name(name: &str) -> Option<Func> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map(|(_, n)| *n)
            .unwrap_or("?")
    }

    /// How many arguments the function takes.
    pub fn arity(self) -> usize {
        match self {
            Func::Min | Func::Max | Func::Pow => 2,
            Func::Mm => 3,
            Func::Hill => 4,
            _ => 1,
        }
    }

    /// Applies the function to evaluated arguments.
    #[inline]
    pub fn apply(self, a: &[f64]) -> f64 {
        match self {
            Func::Exp => a[0].exp(),
            Func::Log => a[0].ln(),
            Func::Sqrt => a[0].sqrt(),
            Func::Sin => a[0].sin(),
            Func::Cos => a[0].cos(),
            Func::Tanh => a[0].tanh(),
            Func::Abs => a[0].abs(),
            Func::Min => a[0].min(a[1]),
            Func::Max => a[0].max(a[1]),
            Func::Pow => a[0].powf(a[1]),
            Func::Mm => a[1] * a[0] / (a[2] + a[0]),
            Func::Hill => {
                let sn = a[0].powf(a[3]);
                a[1] * sn / (a[2].powf(a[3]) + sn)
            }
            Func::Sign => {
                if a[0] > 0.0 {
                    1.0
                } else if a[0] < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Func::Step => {
                if a[0] > 0.0 {
                    1.0
                } else if a[0] < 0.0 {
                    0.0
                } else {
                    0.5
                }
            }
        }
    }
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

impl BinOp {
    pub fn symbol(self) -> char {
        match self {
            BinOp::Add => '+',
            BinOp::Sub => '-',
            BinOp::Mul => '*',
            BinOp::Div => '/',
            BinOp::Pow => '^',
        }
    }

    #[inline]
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div => a / b,
            BinOp::Pow => powf_exact(a, b),
        }
    }
}

/// `a^b` with small integer exponents done by multiplication: exact for
/// negative bases (where `powf` would also work) and cheaper than `powf`.
#[inline]
pub fn powf_exact(a: f64, b: f64) -> f64 {
    if b == 2.0 {
        a * a
    } else if b == 3.0 {
        a * a * a
    } else if b == 1.0 {
        a
    } else if b == -1.0 {
        1.0 / a
    } else {
        a.powf(b)
    }
}

/// An expression of the model language.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    /// A name: species, parameter, input or coordinate (`t`, `x`, `y`).
    Var(String),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

impl Expr {
    pub fn var(name: &str) -> Expr {
        Expr::Var(name.to_string())
    }

    pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        Expr::Bin(op, Box::new(a), Box::new(b))
    }

    /// The constant value, if the expression is a plain number.
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Expr::Num(v) => Some(*v),
            _ => None,
        }
    }

    /// Every name the expression refers to.
    pub fn symbols(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.visit_symbols(&mut |s| {
            out.insert(s.to_string());
        });
        out
    }

    /// Whether the expression refers to `name`.
    pub fn mentions(&self, name: &str) -> bool {
        let mut found = false;
        self.visit_symbols(&mut |s| found |= s == name);
        found
    }

    fn visit_symbols(&self, f: &mut dyn FnMut(&str)) {
        match self {
            Expr::Num(_) => {}
            Expr::Var(s) => f(s),
            Expr::Neg(a) => a.visit_symbols(f),
            Expr::Bin(_, a, b) => {
                a.visit_symbols(f);
                b.visit_symbols(f);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.visit_symbols(f)),
        }
    }

    /// Replaces names by expressions (`lookup` returns `None` to keep a name).
    pub fn substitute(&self, lookup: &dyn Fn(&str) -> Option<Expr>) -> Expr {
        match self {
            Expr::Num(v) => Expr::Num(*v),
            Expr::Var(s) => lookup(s).unwrap_or_else(|| Expr::Var(s.clone())),
            Expr::Neg(a) => Expr::Neg(Box::new(a.substitute(lookup))),
            Expr::Bin(op, a, b) => Expr::bin(*op, a.substitute(lookup), b.substitute(lookup)),
            Expr::Call(func, args) => {
                Expr::Call(*func, args.iter().map(|a| a.substitute(lookup)).collect())
            }
        }
    }

    /// Evaluates with a symbol lookup; unknown names evaluate to NaN.
    pub fn eval(&self, lookup: &dyn Fn(&str) -> Option<f64>) -> f64 {
        match self {
            Expr::Num(v) => *v,
            Expr::Var(s) => lookup(s).unwrap_or(f64::NAN),
            Expr::Neg(a) => -a.eval(lookup),
            Expr::Bin(op, a, b) => op.apply(a.eval(lookup), b.eval(lookup)),
            Expr::Call(func, args) => {
                let vals: Vec<f64> = args.iter().map(|a| a.eval(lookup)).collect();
                func.apply(&vals)
            }
        }
    }
}
