{% macro pilot_is_notable(current, previous) -%}
    {#- Whether a change between two counts is notable: |Poisson z| > 3 (domain.md); false
        when there is no previous count. The one place the threshold is written. -#}
    coalesce(abs({{ pilot_poisson_z(current, previous) }}) > 3, false)
{%- endmacro %}
