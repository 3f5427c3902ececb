{% macro pilot_output_types() -%}
    {#- Output types of the output_types seed, in file order, each with the column name its
        quantity gets in wide reports (lower-case code). Empty while parsing. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select output_code, output_name, measure from {{ pilot_seed_relation('output_types') }}
    {%- endset -%}
    {%- set rows = run_query(query) -%}
    {%- set types = [] -%}
    {%- for row in rows -%}
        {%- set code = row[0] | string | trim | upper -%}
        {%- set column = modules.re.sub('[^a-z0-9_]', '_', code | lower) -%}
        {%- do types.append({'code': code, 'name': row[1], 'measure': row[2], 'column': column}) -%}
    {%- endfor -%}
    {{ return(types) }}
{%- endmacro %}
