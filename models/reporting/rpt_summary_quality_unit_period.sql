{#- How many ledger files lie behind each reporting unit and period and how many of their rows
    were quarantined, defined once here: a file counts for a unit and period when the unit's
    loaded rows in it reach into the period, or when it loaded no row at all (its unit and
    dates are unknown). Quarantined rows are counted per file, whole: a rejected row's unit
    may be the very cell that failed. On DuckDB the table macro
    reporting.summary_quality_between(d_from, d_to) applies the same to a custom range. -#}
{%- set quality_columns -%}
    unit_periods.period,
    unit_periods.unit_code,
    unit_periods.period_start,
    unit_periods.period_end,
    count(quality_files.file_id) as files,
    coalesce(sum(quality_files.rows_quarantined), 0) as rows_quarantined
{%- endset -%}
{%- set file_in_unit_period -%}
    quality_files.unit_code = unit_periods.unit_code
    and (
        quality_files.first_date is null
        or (
            quality_files.first_date <= unit_periods.period_end
            and quality_files.last_date >= unit_periods.period_start
        )
    )
{%- endset -%}
{%- set group_columns -%}
    unit_periods.period,
    unit_periods.unit_code,
    unit_periods.period_start,
    unit_periods.period_end
{%- endset -%}
{%- set range_macro -%}
    {% raw %}{% if target.type == 'duckdb' %}{% endraw %}
    create or replace macro {% raw %}{{ this.schema }}{% endraw %}.summary_quality_between(d_from, d_to)
    as table
    with unit_periods as (
        select
            'range' as period,
            reporting_units.unit_code,
            cast(d_from as date) as period_start,
            cast(d_to as date) as period_end
        from {% raw %}{{ this.schema }}{% endraw %}.rpt_summary_units as reporting_units
    )
    select {{ quality_columns }}
    from unit_periods
    left join {% raw %}{{ this.schema }}{% endraw %}.rpt_summary_quality_unit_files as quality_files
        on {{ file_in_unit_period }}
    group by {{ group_columns }}
    {% raw %}{% endif %}{% endraw %}
{%- endset -%}
{{ config(post_hook=range_macro) }}

with periods as (

    select * from {{ ref('dim_periods') }}

),

reporting_units as (

    {#- The reporting units as the range macro reads them, so they are built before it. -#}
    select * from {{ ref('rpt_summary_units') }}

),

unit_periods as (

    select
        periods.period,
        reporting_units.unit_code,
        periods.period_start,
        periods.period_end
    from periods
    cross join reporting_units

),

quality_files as (

    select * from {{ ref('rpt_summary_quality_unit_files') }}

),

final as (

    select {{ quality_columns }}
    from unit_periods
    left join quality_files
        on {{ file_in_unit_period }}
    group by {{ group_columns }}

)

select * from final
