{#- Aggregates built incrementally by reporting unit.

    A model configured so (dbt_project.yml: materialized incremental, strategy append, pre-hook
    pilot_drop_rebuilt_units) computes, in an incremental run, only the reporting units that
    int_build_scope names: the pre-hook deletes their rows and the model's SELECT, given
    pilot_members_to_build() as its members, makes them again. A full refresh, a first build
    and a change of periods rebuild every unit. The model must say
    `-- depends_on: {{ ref('int_build_scope') }}`, since dbt cannot see a ref made only in an
    incremental run. -#}

{% macro pilot_rebuild_units(scope=none) -%}
    {#- The reporting units an incremental run of an aggregate recomputes, as a subquery of
        `scope`, the relation of int_build_scope (its ref when none; the data tests, which
        cannot ref it, pass the relation, see pilot_where_subquery.sql). publish.py's
        _CHANGED reads the same rows of the published int_build_scope. -#}
    (select unit_code from {{ scope if scope is not none else ref('int_build_scope') }}
        where entry = 'rebuild_unit')
{%- endmacro %}


{% macro pilot_members_to_build() -%}
    {#- dim_unit_members, in an incremental run only the rows of the reporting units it
        recomputes: the `members` argument of the metric macros. -#}
    {%- if is_incremental() -%}
    (
        select * from {{ ref('dim_unit_members') }}
        where reporting_unit_code in {{ pilot_rebuild_units() }}
    )
    {%- else -%}
    {{ ref('dim_unit_members') }}
    {%- endif -%}
{%- endmacro %}


{% macro pilot_drop_rebuilt_units() -%}
    {#- Pre-hook of an aggregate built by unit: before the recomputed units' rows are added,
        their old rows go. -#}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where unit_code in {{ pilot_rebuild_units() }}
    {%- endif -%}
{%- endmacro %}
