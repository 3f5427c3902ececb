{% macro duckdb__safe_cast(field, type) -%}
    {#- dbt-duckdb falls back to a plain cast; staging wants a bad value to become null, not an error. -#}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
