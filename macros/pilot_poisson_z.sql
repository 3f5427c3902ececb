{% macro pilot_poisson_z(current, previous) -%}
    {#- Poisson comparison of two counts: 2(sqrt(current) - sqrt(previous)); null when either
        is missing. Used instead of a percent change, which misleads on small counts. -#}
    (2 * (sqrt(cast({{ current }} as double)) - sqrt(cast({{ previous }} as double))))
{%- endmacro %}
