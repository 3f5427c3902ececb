{% macro pilot_counted_median(value, cumulative_count, total_count) -%}
    {#- Aggregate over one row per distinct value of a set, where `cumulative_count` is the
        running sum of the value counts in ascending order and `total_count` their sum over
        the group: the middle value, or the average of the two middle values as a double
        when the count is even. The same as median() over the values themselves, without
        keeping every value (median() is holistic and cannot spill). -#}
    (
        cast(
            min(case when 2 * {{ cumulative_count }} >= {{ total_count }} then {{ value }} end)
            as double
        )
        + cast(
            min(case when 2 * {{ cumulative_count }} >= {{ total_count }} + 1 then {{ value }} end)
            as double
        )
    ) / 2
{%- endmacro %}
