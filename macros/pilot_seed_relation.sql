{% macro pilot_seed_relation(seed_name) -%}
    {#- The built relation of a seed, found without ref(): inside a unit test ref() returns
        the fixture, and compile-time queries need the real table. Unit tests get no graph,
        so the seed's schema is then worked out the way dbt_project.yml configures it. -#}
    {%- for node in (graph.get('nodes') or {}).values() -%}
        {%- if node.resource_type == 'seed' and node.name == seed_name -%}
            {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(api.Relation.create(
        database=target.database,
        schema=generate_schema_name('reference', none),
        identifier=seed_name,
    )) }}
{%- endmacro %}
