import { UsageError } from '../errors.js';

/**
 * The `--where` language: a small boolean expression over a run's fields.
 *
 *   expr       := or
 *   or         := and ("or" and)*
 *   and        := unary ("and" unary)*
 *   unary      := "not" unary | "(" expr ")" | comparison
 *   comparison := operand op operand          op: < <= > >= = == != <> ~ (glob)
 *   operand    := number | "string" | 'string' | true | false | null | field
 *   field      := name (letters, digits, _ . / : [ ] -) or `any text` in backticks
 *
 * Keywords are case-insensitive. This module only parses; `compileWhere` in run-fields.ts
 * turns fields into SQL with bound parameters.
 */

export type CompareOp = '<' | '<=' | '>' | '>=' | '=' | '!=' | '~';

export type WhereOperand =
  | { readonly kind: 'field'; readonly name: string; readonly col: number }
  | { readonly kind: 'number'; readonly value: number; readonly col: number }
  | { readonly kind: 'string'; readonly value: string; readonly col: number }
  | { readonly kind: 'bool'; readonly value: boolean; readonly col: number }
  | { readonly kind: 'null'; readonly col: number };

export type WhereNode =
  | { readonly kind: 'and' | 'or'; readonly left: WhereNode; readonly right: WhereNode }
  | { readonly kind: 'not'; readonly operand: WhereNode }
  | {
      readonly kind: 'compare';
      readonly op: CompareOp;
      readonly left: WhereOperand;
      readonly right: WhereOperand;
      readonly col: number;
    };

type Token =
  | { readonly kind: 'word'; readonly text: string; readonly col: number }
  | { readonly kind: 'field'; readonly text: string; readonly col: number }
  | { readonly kind: 'number'; readonly value: number; readonly text: string; readonly col: number }
  | { readonly kind: 'string'; readonly value: string; readonly text: string; readonly col: number }
  | { readonly kind: 'op'; readonly op: CompareOp; readonly text: string; readonly col: number }
  | { readonly kind: '(' | ')'; readonly text: string; readonly col: number }
  | { readonly kind: 'end'; readonly text: string; readonly col: number };

const OPERATORS: readonly [string, CompareOp][] = [
  ['<=', '<='],
  ['>=', '>='],
  ['!=', '!='],
  ['<>', '!='],
  ['==', '='],
  ['<', '<'],
  ['>', '>'],
  ['=', '='],
  ['~', '~'],
];
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const WORD = /^[A-Za-z_][A-Za-z0-9_.[\]/:@-]*/;

/** How deep parentheses and `not` may nest in a `--where` expression. */
export const MAX_WHERE_DEPTH = 64;
/** How many comparisons one `--where` expression may hold (its `and`/`or` chain becomes nested SQL). */
export const MAX_WHERE_COMPARISONS = 200;

/** A syntax error at a 1-based column of the expression. */
export function whereError(col: number, message: string, hint?: string): UsageError {
  return new UsageError(
    `--where, column ${col}: ${message}`,
    hint === undefined ? undefined : { hint },
  );
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    const col = i + 1;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '(' || ch === ')') {
      tokens.push({ kind: ch, text: ch, col });
      i++;
      continue;
    }
    const op = OPERATORS.find(([text]) => source.startsWith(text, i));
    if (op) {
      tokens.push({ kind: 'op', op: op[1], text: op[0], col });
      i += op[0].length;
      continue;
    }
    const rest = source.slice(i);
    const number = NUMBER.exec(rest);
    if (number && !/^[A-Za-z_]/.test(rest.slice(number[0].length))) {
      tokens.push({ kind: 'number', value: Number(number[0]), text: number[0], col });
      i += number[0].length;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') {
      const { value, end } = readQuoted(source, i);
      const text = source.slice(i, end);
      tokens.push(
        ch === '`' ? { kind: 'field', text: value, col } : { kind: 'string', value, text, col },
      );
      i = end;
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      tokens.push({ kind: 'word', text: word[0], col });
      i += word[0].length;
      continue;
    }
    throw whereError(
      col,
      `unexpected character "${ch}"`,
      'quote strings ("adam"), backquote odd field names (`my key`)',
    );
  }
  tokens.push({ kind: 'end', text: 'end of expression', col: source.length + 1 });
  return tokens;
}

function readQuoted(source: string, start: number): { value: string; end: number } {
  const quote = source[start]!;
  let value = '';
  let i = start + 1;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '\\' && i + 1 < source.length) {
      value += source[i + 1];
      i += 2;
    } else if (ch === quote && source[i + 1] === quote) {
      value += quote;
      i += 2;
    } else if (ch === quote) {
      return { value, end: i + 1 };
    } else {
      value += ch;
      i++;
    }
  }
  throw whereError(
    start + 1,
    `unterminated ${quote === '`' ? 'backquoted name' : 'string'}`,
    `close it with ${quote}`,
  );
}

const isKeyword = (token: Token, keyword: string): boolean =>
  token.kind === 'word' && token.text.toLowerCase() === keyword;

const describe = (token: Token): string =>
  token.kind === 'end' ? 'the end of the expression' : `"${token.text}"`;

/**
 * Parse an expression into a tree, or throw a UsageError naming the column.
 *
 * @example parseWhere('train.optimizer.learningRate < 0.01 and test/accuracy > 0.98')
 */
export function parseWhere(source: string): WhereNode {
  const tokens = tokenize(source);
  let pos = 0;
  let depth = 0;
  let comparisons = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  /** Parentheses and `not`s nest the parser's recursion (and SQLite's): bounded, located. */
  const enter = (token: Token): void => {
    if (++depth > MAX_WHERE_DEPTH) {
      throw whereError(
        token.col,
        `nested more than ${MAX_WHERE_DEPTH} deep (parentheses and "not")`,
        'write the condition with fewer nested parentheses',
      );
    }
  };

  const parseOr = (): WhereNode => {
    let left = parseAnd();
    while (isKeyword(peek(), 'or')) {
      next();
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): WhereNode => {
    let left = parseUnary();
    while (isKeyword(peek(), 'and')) {
      next();
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): WhereNode => {
    const token = peek();
    if (isKeyword(token, 'not')) {
      next();
      enter(token);
      const operand = parseUnary();
      depth--;
      return { kind: 'not', operand };
    }
    if (token.kind === '(') {
      next();
      enter(token);
      const inner = parseOr();
      depth--;
      const close = next();
      if (close.kind !== ')')
        throw whereError(
          close.col,
          `expected ")" to close the "(" at column ${token.col}, found ${describe(close)}`,
        );
      return inner;
    }
    return parseComparison();
  };
  const parseComparison = (): WhereNode => {
    const first = peek();
    if (++comparisons > MAX_WHERE_COMPARISONS) {
      throw whereError(
        first.col,
        `more than ${MAX_WHERE_COMPARISONS} comparisons`,
        'narrow the runs with fewer conditions (e.g. a range instead of many "or"s), or use "runner query" for SQL',
      );
    }
    const left = parseOperand();
    const opToken = next();
    if (opToken.kind !== 'op') {
      throw whereError(
        opToken.col,
        `expected a comparison (< <= > >= = != ~) after ${operandText(left)}, found ${describe(opToken)}`,
      );
    }
    const right = parseOperand();
    if (
      (left.kind === 'null' || right.kind === 'null') &&
      opToken.op !== '=' &&
      opToken.op !== '!='
    ) {
      throw whereError(
        opToken.col,
        `null can only be compared with = or != (found ${opToken.text})`,
      );
    }
    return { kind: 'compare', op: opToken.op, left, right, col: left.col };
  };
  const parseOperand = (): WhereOperand => {
    const token = next();
    switch (token.kind) {
      case 'number':
        return { kind: 'number', value: token.value, col: token.col };
      case 'string':
        return { kind: 'string', value: token.value, col: token.col };
      case 'field':
        return { kind: 'field', name: token.text, col: token.col };
      case 'word': {
        const lower = token.text.toLowerCase();
        if (lower === 'true' || lower === 'false')
          return { kind: 'bool', value: lower === 'true', col: token.col };
        if (lower === 'null') return { kind: 'null', col: token.col };
        if (lower === 'and' || lower === 'or' || lower === 'not') {
          throw whereError(
            token.col,
            `expected a field or a value, found the keyword "${token.text}"`,
          );
        }
        return { kind: 'field', name: token.text, col: token.col };
      }
      case 'op':
      case '(':
      case ')':
      case 'end':
        throw whereError(token.col, `expected a field or a value, found ${describe(token)}`);
    }
  };

  const tree = parseOr();
  const trailing = peek();
  if (trailing.kind !== 'end') {
    throw whereError(
      trailing.col,
      `expected "and", "or" or the end of the expression, found ${describe(trailing)}`,
    );
  }
  return tree;
}

function operandText(operand: WhereOperand): string {
  switch (operand.kind) {
    case 'field':
      return `"${operand.name}"`;
    case 'number':
      return String(operand.value);
    case 'string':
      return JSON.stringify(operand.value);
    case 'bool':
      return String(operand.value);
    case 'null':
      return 'null';
  }
}
