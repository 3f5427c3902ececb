{% macro pilot_stored_or(relation) -%}
    {#- The rows of `relation` when one is given (an intermediate table built over the same
        periods), else the SQL of the call block that computes them (as the range macros need).
        A call block, not an argument: an argument is rendered even when unused, and its ref()s
        would make the model read tables it does not. -#}
    {%- if relation is none -%}
        {{ caller() }}
    {%- else -%}
        select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}
