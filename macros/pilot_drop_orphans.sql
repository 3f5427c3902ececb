{% macro pilot_drop_orphans() -%}
    {#- on-run-end: drop the tables and views of the project's own schemas (staging, marts,
        intermediate, reporting, reference) that no model or seed of the project makes any
        more. A renamed or removed model otherwise stays in the warehouse with its last
        contents, and publishing copies it into every snapshot beside the model that replaced
        it. The raw schema (ingest's) and other schemas are never touched. -#}
    {%- if execute and flags.WHICH in ('build', 'run', 'seed') -%}
        {%- set known = {} -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type in ('model', 'seed', 'snapshot') -%}
                {%- do known.setdefault(node.schema | lower, []).append(
                    (node.alias or node.name) | lower
                ) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set relations = run_query(
            "select table_schema, table_name, table_type from information_schema.tables "
            ~ "where table_catalog = current_database()"
        ) -%}
        {%- for row in relations.rows -%}
            {%- set schema = row[0] | lower -%}
            {%- if schema in known and (row[1] | lower) not in known[schema] -%}
                {%- set kind = 'view' if row[2] == 'VIEW' else 'table' -%}
                {%- do run_query(
                    'drop ' ~ kind ~ ' if exists ' ~ adapter.quote(row[0]) ~ '.'
                    ~ adapter.quote(row[1])
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
