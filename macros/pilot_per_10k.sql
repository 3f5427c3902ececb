{% macro pilot_per_10k(count, population) -%}
    {#- A count per 10,000 residents; null when the population is unknown or zero. -#}
    (cast({{ count }} as double) * 10000 / nullif({{ population }}, 0))
{%- endmacro %}
