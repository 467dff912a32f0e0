; Syntax highlighting for Gloam. Later patterns take precedence in most
; editors, so specific captures come after general ones.

(comment) @comment

[
  "type" "fn" "handler" "db" "worker" "cron"
] @keyword

[
  "let" "match" "with" "when"
] @keyword

[
  "if" "then" "else"
] @keyword.conditional

(http_method) @keyword
(route) @string.special

(integer) @number
(float) @number.float
(boolean) @boolean
(unit) @constant.builtin
(char) @character
(string) @string
(string_fragment) @string
(escape_sequence) @string.escape
(interpolation
  "${" @punctuation.special
  "}" @punctuation.special)

(type_identifier) @type
(type_variable) @type.parameter
(constructor) @constructor
(constructor_pattern name: (type_identifier) @constructor)
(variant_case name: (type_identifier) @constructor)

(qualified_identifier module: (type_identifier) @module)
(qualified_identifier name: (identifier) @function)
(qualified_type module: (type_identifier) @module)

(function_declaration name: (identifier) @function)
(worker_declaration name: (identifier) @function)
(cron_declaration name: (identifier) @function)
(datastore_declaration name: (identifier) @variable)
(call_expression function: (identifier) @function.call)
(call_expression function: (qualified_identifier name: (identifier) @function.call))

(parameter name: (identifier) @variable.parameter)
(lambda parameter: (identifier) @variable.parameter)

(field_declaration name: (identifier) @property)
(field_initializer name: (identifier) @property)
(field_expression field: (identifier) @property)

(wildcard_pattern) @variable.builtin
(rest_pattern "..." @operator)

[
  "+" "-" "*" "/" "%" "++" "==" "!=" "<" "<=" ">" ">=" "&&" "||" "!" "|>" "?" "->" "=" "\\" "|"
] @operator

[ "(" ")" "[" "]" "{" "}" "<" ">" ] @punctuation.bracket
[ "," ":" "." ] @punctuation.delimiter
