/**
 * tree-sitter grammar for Gloam.
 *
 * The grammar is deliberately layout-free: a statement ends where the next one
 * cannot continue it, and `language/src/syntax/lower.rs` applies the one layout
 * rule Gloam has (match arms belong to the match whose first arm they align
 * with). Keep node and field names in sync with that file.
 */

const PREC = {
  sequence: -3,
  lambda: -2,
  control: -1,
  pipe: 1,
  or: 2,
  and: 3,
  compare: 4,
  concat: 5,
  additive: 6,
  multiplicative: 7,
  unary: 8,
  try: 9,
  postfix: 10,
  qualified: 11,
};

const commaSep1 = (rule) => seq(rule, repeat(seq(',', rule)), optional(','));
const commaSep = (rule) => optional(commaSep1(rule));

module.exports = grammar({
  name: 'gloam',

  extras: ($) => [/\s/, $.comment],

  word: ($) => $.identifier,

  // Keywords are never identifiers, even during error recovery, so a broken
  // line does not swallow the `fn` that starts the next declaration.
  reserved: {
    global: (_) => [
      'type', 'fn', 'handler', 'db', 'worker', 'cron', 'let', 'if', 'then', 'else',
      'match', 'with', 'when', 'true', 'false',
    ],
  },

  conflicts: ($) => [
  ],

  rules: {
    source_file: ($) => repeat($._item),

    _item: ($) =>
      choice(
        $.type_declaration,
        $.function_declaration,
        $.handler_declaration,
        $.datastore_declaration,
        $.worker_declaration,
        $.cron_declaration,
      ),

    comment: (_) => token(seq('//', /[^\n]*/)),

    // ---- declarations -------------------------------------------------

    type_declaration: ($) =>
      seq(
        'type',
        field('name', $.type_identifier),
        optional(field('parameters', $.type_parameters)),
        '=',
        field('definition', choice($.record_type, $.variant_type)),
      ),

    type_parameters: ($) => seq('<', commaSep1($.identifier), '>'),

    record_type: ($) => seq('{', commaSep1($.field_declaration), '}'),

    field_declaration: ($) =>
      seq(field('name', $.identifier), ':', field('type', $._type)),

    variant_type: ($) =>
      prec.right(seq(optional('|'), $.variant_case, repeat(seq('|', $.variant_case)))),

    variant_case: ($) =>
      seq(
        field('name', $.type_identifier),
        optional(seq('(', commaSep1(field('payload', $._type)), ')')),
      ),

    function_declaration: ($) =>
      seq(
        'fn',
        field('name', $.identifier),
        field('parameters', $.parameter_list),
        optional(seq('->', field('return_type', $._type))),
        '=',
        field('body', $.block),
      ),

    parameter_list: ($) => seq('(', commaSep($.parameter), ')'),

    parameter: ($) =>
      seq(field('name', $.identifier), optional(seq(':', field('type', $._type)))),

    handler_declaration: ($) =>
      seq(
        'handler',
        field('method', $.http_method),
        field('path', $.route),
        '=',
        field('body', $.block),
      ),

    http_method: (_) => token(choice('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS')),

    route: (_) => token(seq('/', /[^\s=]*/)),

    datastore_declaration: ($) =>
      seq('db', field('name', $.identifier), ':', field('type', $._type)),

    worker_declaration: ($) =>
      seq(
        'worker',
        field('name', $.identifier),
        field('parameters', $.parameter_list),
        '=',
        field('body', $.block),
      ),

    cron_declaration: ($) =>
      seq('cron', field('schedule', $.string), field('name', $.identifier), '=', field('body', $.block)),

    // ---- types ----------------------------------------------------------

    _type: ($) => choice($.type_application, $.function_type, $.unit_type, $.type_variable),

    type_application: ($) =>
      seq(
        field('name', choice($.type_identifier, $.qualified_type)),
        optional(seq('<', commaSep1(field('argument', $._type)), '>')),
      ),

    qualified_type: ($) =>
      seq(field('module', $.type_identifier), token.immediate('.'), field('name', $.type_identifier)),

    function_type: ($) =>
      prec.right(
        seq('fn', '(', commaSep(field('parameter', $._type)), ')', '->', field('result', $._type)),
      ),

    unit_type: (_) => seq('(', ')'),

    type_variable: ($) => $.identifier,

    // ---- blocks and expressions --------------------------------------

    // A block is a sequence of expressions; its value is the last one.
    block: ($) => prec.right(PREC.sequence, repeat1($._expression)),

    _expression: ($) =>
      choice(
        $.let_expression,
        $.if_expression,
        $.match_expression,
        $.lambda,
        $.binary_expression,
        $.pipe_expression,
        $.unary_expression,
        $.try_expression,
        $._simple_expression,
      ),

    let_expression: ($) =>
      prec.right(
        PREC.control,
        seq(
          'let',
          field('pattern', $._pattern),
          optional(seq(':', field('type', $._type))),
          '=',
          field('value', $._let_value),
          field('body', $.block),
        ),
      ),

    // A separate reduction for the value makes "does `-` continue the value or
    // start the body?" a shift/reduce conflict, which precedence settles in
    // favour of continuing it, as between the statements of a block.
    _let_value: ($) => prec(PREC.sequence, $._expression),

    if_expression: ($) =>
      prec.right(
        PREC.control,
        seq(
          'if',
          field('condition', $._expression),
          'then',
          field('consequence', $._expression),
          'else',
          field('alternative', $._expression),
        ),
      ),

    match_expression: ($) =>
      prec.right(
        PREC.control,
        seq('match', field('scrutinee', $._expression), 'with', repeat1($.match_arm)),
      ),

    match_arm: ($) =>
      prec.right(
        PREC.control,
        seq(
          '|',
          field('pattern', $._pattern),
          optional(seq('when', field('guard', $._expression))),
          '->',
          field('body', $._expression),
        ),
      ),

    lambda: ($) =>
      prec.right(
        PREC.lambda,
        seq('\\', commaSep1(field('parameter', $.identifier)), '->', field('body', $._expression)),
      ),

    binary_expression: ($) =>
      choice(
        ...[
          ['||', PREC.or],
          ['&&', PREC.and],
          ['==', PREC.compare],
          ['!=', PREC.compare],
          ['<', PREC.compare],
          ['<=', PREC.compare],
          ['>', PREC.compare],
          ['>=', PREC.compare],
          ['++', PREC.concat],
          ['+', PREC.additive],
          ['-', PREC.additive],
          ['*', PREC.multiplicative],
          ['/', PREC.multiplicative],
          ['%', PREC.multiplicative],
        ].map(([operator, precedence]) =>
          prec.left(
            precedence,
            seq(
              field('left', $._expression),
              field('operator', operator),
              field('right', $._expression),
            ),
          ),
        ),
      ),

    pipe_expression: ($) =>
      prec.left(PREC.pipe, seq(field('left', $._expression), '|>', field('right', $._expression))),

    unary_expression: ($) =>
      prec(PREC.unary, seq(field('operator', choice('-', '!')), field('operand', $._expression))),

    try_expression: ($) => prec(PREC.try, seq(field('operand', $._expression), '?')),

    _simple_expression: ($) =>
      choice(
        $.integer,
        $.float,
        $.string,
        $.char,
        $.boolean,
        $.unit,
        $.identifier,
        $.qualified_identifier,
        $.constructor,
        $.list_expression,
        $.record_expression,
        $.dict_expression,
        $.record_update,
        $.call_expression,
        $.field_expression,
        $.parenthesized_expression,
      ),

    call_expression: ($) =>
      prec(
        PREC.postfix,
        seq(
          field('function', $._simple_expression),
          optional(field('type_arguments', $.type_arguments)),
          field('arguments', $.argument_list),
        ),
      ),

    type_arguments: ($) => seq(token.immediate('<'), commaSep1($._type), '>'),

    argument_list: ($) => seq(token.immediate('('), commaSep($._expression), ')'),

    field_expression: ($) =>
      prec(
        PREC.postfix,
        seq(field('value', $._simple_expression), token.immediate('.'), field('field', $.identifier)),
      ),

    qualified_identifier: ($) =>
      prec(
        PREC.qualified,
        seq(field('module', $.type_identifier), token.immediate('.'), field('name', $.identifier)),
      ),

    constructor: ($) => $.type_identifier,

    parenthesized_expression: ($) => seq('(', $.block, ')'),

    list_expression: ($) => seq('[', commaSep($._expression), ']'),

    record_expression: ($) =>
      prec(
        PREC.postfix,
        seq(optional(field('type', $.type_identifier)), '{', commaSep1($.field_initializer), '}'),
      ),

    field_initializer: ($) => seq(field('name', $.identifier), ':', field('value', $._expression)),

    dict_expression: ($) => seq('{', commaSep($.dict_entry), '}'),

    dict_entry: ($) => seq(field('key', $.string), ':', field('value', $._expression)),

    record_update: ($) =>
      seq('{', field('record', $._expression), 'with', commaSep1($.field_initializer), '}'),

    // ---- literals -------------------------------------------------------

    // A number-like word is one token, letters included (`1e3`, `0x10`,
    // `12abc`): lowering decodes it (decimal, `0x`/`0o`/`0b`, an exponent
    // makes a Float) or reports it whole, so it never splits into a number
    // and a name.
    integer: (_) => token(/[0-9][0-9a-zA-Z_]*/),

    // A `.` between digits, or an exponent with a sign (`1e-3`).
    float: (_) =>
      token(
        choice(
          /[0-9][0-9_]*\.[0-9][0-9a-zA-Z_]*([eE][+-][0-9][0-9a-zA-Z_]*)?/,
          /[0-9][0-9_]*[eE][+-][0-9][0-9a-zA-Z_]*/,
        ),
      ),

    boolean: (_) => choice('true', 'false'),

    unit: (_) => seq('(', ')'),

    string: ($) =>
      seq(
        '"',
        repeat(choice($.string_fragment, $.escape_sequence, $.interpolation)),
        token.immediate('"'),
      ),

    string_fragment: (_) => choice(token.immediate(prec(1, /[^"\\$]+/)), token.immediate('$')),

    // Any escape is accepted here; lowering reports the invalid ones precisely.
    escape_sequence: (_) => token.immediate(seq('\\', choice(/u\{[0-9a-fA-F]*\}/, /[^u]/, 'u'))),

    interpolation: ($) => seq(token.immediate('${'), field('expression', $.block), '}'),

    char: (_) =>
      token(seq("'", choice(/[^'\\]/, seq('\\', choice(/[\\"nrt0']/, /u\{[0-9a-fA-F]{1,6}\}/))), "'")),

    // ---- patterns -------------------------------------------------------

    _pattern: ($) =>
      choice(
        $.wildcard_pattern,
        $.identifier,
        $.integer_pattern,
        $.float_pattern,
        $.string,
        $.char,
        $.boolean,
        $.unit,
        $.constructor_pattern,
        $.list_pattern,
      ),

    wildcard_pattern: (_) => '_',

    integer_pattern: ($) => seq(optional('-'), $.integer),

    float_pattern: ($) => seq(optional('-'), $.float),

    constructor_pattern: ($) =>
      prec.right(
        seq(
          field('name', $.type_identifier),
          optional(seq(token.immediate('('), commaSep1(field('argument', $._pattern)), ')')),
        ),
      ),

    list_pattern: ($) =>
      seq(
        '[',
        optional(
          choice(
            seq(
              $._pattern,
              repeat(seq(',', $._pattern)),
              optional(seq(',', field('rest', $.rest_pattern))),
              optional(','),
            ),
            seq(field('rest', $.rest_pattern), optional(',')),
          ),
        ),
        ']',
      ),

    rest_pattern: ($) => seq('...', optional($.identifier)),

    identifier: (_) => /[a-z_][a-zA-Z0-9_]*/,

    type_identifier: (_) => /[A-Z][a-zA-Z0-9_]*/,
  },
});
