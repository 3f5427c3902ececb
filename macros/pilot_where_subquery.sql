{% macro get_where_subquery(relation) -%}
    {#- The relation a data test reads (dbt's own macro, overridden here as dbt's docs allow).
        A model built incrementally by reporting unit (meta publish_by: unit_code, see
        pilot_incremental_by_unit.sql) is tested on the rows of the units this build
        recomputed: the rows of the other units are those the last build that passed tested,
        unchanged, and a whole build recomputes every unit. So each key that such a model's
        tests check for uniqueness must include unit_code: a duplicate can then only be
        among one unit's rows. A test's own `where` config still applies. -#}
    {%- set tested = adapter.dispatch('get_where_subquery', 'dbt')(relation) -%}
    {%- set nodes = graph.nodes.values() if execute else [] -%}
    {%- set scope = [] -%}
    {%- set by_unit = [] -%}
    {%- for node in nodes if node.resource_type == 'model' -%}
        {%- if node.name == 'int_build_scope' -%}
            {%- do scope.append(api.Relation.create(
                database=relation.database, schema=node.schema, identifier=node.alias)) -%}
        {%- elif (node.schema | lower) == (relation.schema | lower)
                and ((node.alias or node.name) | lower) == (relation.identifier | lower)
                and node.config.materialized == 'incremental'
                and (node.config.meta or {}).get('publish_by') == 'unit_code' -%}
            {%- do by_unit.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if by_unit and scope -%}
        {%- do return(
            "(select * from " ~ tested ~ " where unit_code in " ~ pilot_rebuild_units(scope[0])
            ~ ") as pilot_rebuilt_units"
        ) -%}
    {%- endif -%}
    {%- do return(tested) -%}
{%- endmacro %}
