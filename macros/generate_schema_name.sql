{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- Layers get plain schema names (staging, marts, reporting) rather than dbt's prefixed ones. -#}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
