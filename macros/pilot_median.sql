{% macro pilot_median(expression) -%}
    {{ return(adapter.dispatch('pilot_median')(expression)) }}
{%- endmacro %}

{% macro default__pilot_median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__pilot_median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro spark__pilot_median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}

{% macro trino__pilot_median(expression) -%}
    approx_percentile({{ expression }}, 0.5)
{%- endmacro %}
