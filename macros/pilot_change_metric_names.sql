{% macro pilot_change_metric_names() -%}
    {#- The counts compared between periods: the count metrics and every output type. -#}
    {%- set names = pilot_count_metrics() -%}
    {%- for output_type in pilot_output_types() -%}
        {%- do names.append(output_type.column) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
